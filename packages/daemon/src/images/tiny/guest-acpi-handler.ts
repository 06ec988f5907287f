/**
 * What the tiny guest does on an ACPI power-button press (QMP `system_powerdown`).
 *
 * The chain: QEMU raises the PIIX4 power-button event → the kernel's `button` driver turns it
 * into KEY_POWER on the "Power Button" input device → `evdev` exposes it as
 * /dev/input/eventN → busybox acpid maps KEY_POWER to the action "PWRF/00000080" and runs
 * /etc/acpi/PWRF/00000080 (its built-in default table, so no acpid.conf is needed).
 */

/** Path of the handler inside the initramfs, relative to the root. */
export const ACPI_POWER_BUTTON_HANDLER_PATH = 'etc/acpi/PWRF/00000080';

/**
 * The handler. It only asks PID 1 to power off (busybox poweroff sends it SIGUSR2), so the
 * shutdown steps (kill, sync, umount /data, poweroff -f) live in one place, /init.
 */
export const ACPI_POWER_BUTTON_HANDLER = `#!/bin/sh
# Run by busybox acpid when the ACPI power button is pressed.
exec poweroff
`;
