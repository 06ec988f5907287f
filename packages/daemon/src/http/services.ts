/** What the HTTP layer may call: use cases and read models, never QEMU or the file system. */
import type { ConsoleHubs } from '../console/console-hub.js';
import type { EventLog } from '../events/event-log.js';
import type { HostService } from '../host/host-service.js';
import type { ImageService } from '../images/image-service.js';
import type { OperationStore } from '../operations/operation-store.js';
import type { VmService } from '../vm/vm-service.js';

/** The services behind the API. */
export interface Services {
  readonly version: string;
  readonly vms: VmService;
  readonly images: ImageService;
  readonly ops: OperationStore;
  readonly events: EventLog;
  readonly hosts: HostService;
  readonly consoles: ConsoleHubs;
}
