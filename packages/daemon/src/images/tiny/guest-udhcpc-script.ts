/**
 * The script busybox udhcpc runs on lease events in the tiny guest (busybox ships none).
 * udhcpc passes the event as $1 and the lease in the environment ($ip, $mask as a prefix
 * length, $router, $dns, $domain).
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
    if [ -n "$router" ]; then
      set -- $router
      ip -4 route replace default via "$1" dev "$interface"
    fi
    : > /etc/resolv.conf
    [ -n "$domain" ] && echo "search $domain" >> /etc/resolv.conf
    for server in $dns; do echo "nameserver $server" >> /etc/resolv.conf; done
    ;;
esac
exit 0
`;
