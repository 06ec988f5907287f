/**
 * The busybox applets the tiny guest exposes as /bin symlinks. A fixed list rather than
 * `busybox --install` at boot keeps the image reproducible and boot free of extra work; it
 * covers what the init scripts use plus a comfortable interactive shell.
 */

/** Applet names linked to /bin/busybox in the initramfs. */
export const BUSYBOX_APPLETS = [
  // used by /init and its helper scripts
  'sh', 'mount', 'umount', 'mkdir', 'insmod', 'hostname', 'ip', 'udhcpc', 'acpid', 'setsid',
  'cttyhack', 'sleep', 'kill', 'sync', 'poweroff', 'reboot', 'halt', 'cat', 'echo', 'grep',
  'mkfifo', 'rm',
  // for people (and tests) at the shell
  'ash', 'ls', 'cp', 'mv', 'rmdir', 'ln', 'touch', 'chmod', 'chown', 'head', 'tail', 'wc',
  'sed', 'awk', 'cut', 'tr', 'sort', 'uniq', 'tee', 'xargs', 'find', 'stat', 'dd', 'df', 'du',
  'free', 'ps', 'top', 'dmesg', 'uname', 'uptime', 'date', 'env', 'printf', 'test', '[', 'true',
  'false', 'expr', 'seq', 'vi', 'less', 'more', 'hexdump', 'od', 'md5sum', 'sha256sum', 'lsmod',
  'rmmod', 'ifconfig', 'route', 'ping', 'nslookup', 'wget', 'nc', 'stty', 'tty', 'reset',
  'clear', 'basename', 'dirname', 'readlink', 'realpath', 'which', 'mktemp', 'mknod',
  'pidof', 'killall', 'sysctl', 'nproc', 'timeout', 'truncate', 'fstrim', 'blockdev', 'id',
  'whoami', 'yes', 'usleep', 'httpd', 'watchdog',
] as const;
