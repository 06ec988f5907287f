/** The storage parts of the VM page, fetched together on first use (see lazy.tsx). */
export { VmBackupForm } from './vm-backup-form.js';
export { VmCloneForm } from './vm-clone-form.js';
export { VmDisks } from './vm-disks.js';
export { VmSnapshots } from './vm-snapshots.js';
