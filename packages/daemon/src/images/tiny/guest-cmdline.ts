/**
 * The default kernel command line for the tiny guest. Every parameter is here for boot speed
 * or reliability under TCG (no KVM), where the guest CPU is emulated and often starved.
 */

/** Kernel parameters herd passes when booting the tiny image, in order. */
export const TINY_GUEST_CMDLINE_PARAMS = [
  // The serial port is the guest's only console: herd and tests read it and type into it.
  'console=ttyS0',
  // Under TCG on a busy host the IO-APIC timer check can fail and the kernel panics with
  // "IO-APIC + timer doesn't work!"; skip it.
  'no_timer_check',
  // Serial output costs real time under TCG; print warnings and worse only.
  'quiet',
  // The guest never needs more than the first UART; probing the other three is wasted time.
  '8250.nr_uarts=1',
  // Speculative-execution mitigations slow an emulated CPU and protect nothing in a test guest.
  'mitigations=off',
  // Debian's kernel self-tests its crypto algorithms at boot: ~0.3 s of emulated CPU time
  // (measured with initcall_debug: crypto_algapi_init 317 ms) for nothing herd relies on.
  'cryptomgr.notests',
] as const;

/**
 * The least memory the tiny guest boots with. Measured: at 64 MiB the kernel panics unpacking
 * the initramfs ("Attempted to kill the idle task!"), at 80 MiB it reports "System is
 * deadlocked on memory"; 88 MiB boots. 96 leaves a little room.
 */
export const TINY_GUEST_MIN_MEMORY_MIB = 96;

/** {@link TINY_GUEST_CMDLINE_PARAMS} joined into one `-append` string. */
export const TINY_GUEST_CMDLINE = TINY_GUEST_CMDLINE_PARAMS.join(' ');
