/**
 * The script busybox udhcpc runs on lease events in the tiny guest (busybox ships none).
 * udhcpc passes the event as $1 and the lease in the environment ($interface, $ip, $mask as a
 * prefix length, $router, $dns, $domain). One udhcpc runs per interface, so with several NICs
 * the default route and /etc/resolv.conf belong to the first interface whose lease brought a
 * router: a NIC added later on another network does not take them over while it keeps them.
 */

/** The script's contents, installed as /etc/udhcpc.script. */
export const UDHCPC_SCRIPT = `#!/bin/sh
# Called by busybox udhcpc: $1 is deconfig, bound, renew, leasefail or nak.
case "$1" in
  deconfig)
    ip -4 addr flush dev "$interface"
    ip link set "$interface" up
    ;;
  bound|renew)
    # A new lease may carry a different address; a renewal keeps it.
    [ "$1" = bound ] && ip -4 addr flush dev "$interface"
    ip -4 addr replace "$ip/\${mask:-24}" dev "$interface"
    # The default route (and DNS) stays with the interface that has it, so a NIC on another
    # network cannot take it over. deconfig flushes an interface's addresses, which drops its
    # routes too, so the next lease of another interface may then take the default.
    # busybox ip honours the "default" selector only with -4; without a family it lists every route.
    [ -n "$router" ] || exit 0
    if [ -n "$(ip -4 route show default)" ] && [ -z "$(ip -4 route show default dev "$interface")" ]; then
      exit 0
    fi
    set -- $router
    ip -4 route replace default via "$1" dev "$interface"
    : > /etc/resolv.conf
    [ -n "$domain" ] && echo "search $domain" >> /etc/resolv.conf
    for server in $dns; do echo "nameserver $server" >> /etc/resolv.conf; done
    ;;
esac
exit 0
`;
