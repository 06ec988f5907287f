/**
 * The create form. It sends what was typed to the API as is and shows the API's validation
 * message next to the field it names (`error.details.field`), so the rules live in one place:
 * the daemon and its error catalogue.
 */
import { parseSize, type Image, type VmCreate, type VmDisplay } from '@herd/api';
import { useEffect, useState } from 'preact/hooks';
import { client } from '../lib/client.js';
import { isImageEvent, isStorageEvent } from '../lib/event-filters.js';
import { initialNetworks, isNicError, nicsFor } from '../lib/network-choice.js';
import { isNetworkEvent } from '../lib/network-events.js';
import { errorField, errorMessage } from '../lib/errors.js';
import { navigate } from '../lib/router.js';
import { useLive } from '../lib/use-live.js';
import { Field, describedBy } from '../components/field.js';
import { Link } from '../components/link.js';
import { Notice } from '../components/notice.js';
import { NetworkPicker } from '../components/vm/network-picker.js';

/** Form inputs by API field name; the input ids are `create-${key}`. */
const inputOf: Readonly<Record<string, string>> = { name: 'name', image: 'image', cpus: 'cpus', memoryMiB: 'memory', diskBytes: 'disk', accel: 'accel', pool: 'pool', cdrom: 'cdrom', display: 'display' };

function defaultMemory(image: Image | undefined): string {
  return String(Math.max(128, image?.minMemoryMiB ?? 0));
}

/** The create-VM page. */
export function VmCreatePage() {
  const images = useLive(() => client.call('listImages'), isImageEvent);
  const pools = useLive(async () => (await client.call('listPools')).map((p) => p.name).sort(), isStorageEvent);
  // ISO images are not booted as disks: they are offered as the cdrom instead.
  const disks = (images.data ?? []).filter((i) => i.kind !== 'iso');
  const isos = (images.data ?? []).filter((i) => i.kind === 'iso');
  const [name, setName] = useState('');
  const [image, setImage] = useState('');
  const [cpus, setCpus] = useState('1');
  const [memory, setMemory] = useState('');
  const [disk, setDisk] = useState('');
  const [accel, setAccel] = useState<'auto' | 'kvm' | 'tcg'>('auto');
  const [pool, setPool] = useState('default');
  const [cdrom, setCdrom] = useState('');
  const networks = useLive(async () => (await client.call('listNetworks')).map((n) => n.name).sort(), isNetworkEvent);
  // Undefined until the user ticks or unticks one: until then the default is chosen.
  const [picked, setPicked] = useState<readonly string[] | undefined>(undefined);
  const chosenNetworks = picked ?? initialNetworks(networks.data ?? []);
  const [display, setDisplay] = useState<VmDisplay>('none');
  const [start, setStart] = useState(true);
  const [errors, setErrors] = useState<Readonly<Record<string, string>>>({});
  const [formError, setFormError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  // Pick the first image, and a memory size it boots with, once images are known.
  useEffect(() => {
    const first = disks[0];
    if (!image && first) {
      setImage(first.name);
      if (!memory) setMemory(defaultMemory(first));
    }
  }, [images.data]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setErrors({});
    setFormError(undefined);
    let diskBytes: number | undefined;
    if (disk.trim()) {
      try {
        diskBytes = parseSize(disk, 'g');
      } catch (err) {
        setErrors({ disk: errorMessage(err) });
        return;
      }
    }
    const nics = nicsFor(networks.data, chosenNetworks);
    const body: VmCreate = {
      name: name.trim(),
      image,
      cpus: Number(cpus),
      memoryMiB: Number(memory || 128),
      ...(diskBytes !== undefined ? { diskBytes } : {}),
      accel,
      start,
      pool,
      ...(cdrom ? { cdrom } : {}),
      ...(nics ? { nics } : {}),
      ...(display !== 'none' ? { display } : {}),
    };
    setBusy(true);
    try {
      await client.call('createVm', { body });
      navigate(`/vms/${body.name}`);
    } catch (err) {
      const input = inputOf[errorField(err) ?? ''] ?? (isNicError(err) ? 'networks' : undefined);
      if (input) {
        setErrors({ [input]: errorMessage(err) });
        document.getElementById(`create-${input}`)?.focus();
      } else setFormError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const noImages = images.data !== undefined && disks.length === 0;
  return (
    <div class="page page-narrow">
      <h1>Create a virtual machine</h1>
      {noImages && (
        <Notice kind="info" id="create-no-images">
          There are no images yet. <Link href="/images">Build the tiny image</Link> first.
        </Notice>
      )}
      {formError && <Notice id="create-error">{formError}</Notice>}
      <form id="create-form" class="card form" onSubmit={(e) => void submit(e)} noValidate aria-describedby={formError ? 'create-error' : undefined}>
        <Field id="create-name" label="Name" hint="Lower-case letters, digits and '-' (a DNS label): it becomes the guest's hostname." error={errors.name}>
          <input id="create-name" name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} autoComplete="off" spellcheck={false} required aria-invalid={errors.name ? true : undefined} aria-describedby={describedBy('create-name', true, errors.name)} autoFocus />
        </Field>
        <Field id="create-image" label="Image" error={errors.image}>
          <select
            id="create-image"
            name="image"
            value={image}
            onChange={(e) => {
              setImage(e.currentTarget.value);
              setMemory(defaultMemory(disks.find((i) => i.name === e.currentTarget.value)));
            }}
            aria-invalid={errors.image ? true : undefined}
            aria-describedby={describedBy('create-image', false, errors.image)}
          >
            {disks.map((i) => (
              <option key={i.id} value={i.name}>
                {i.name} ({i.kind}, {i.format})
              </option>
            ))}
          </select>
        </Field>
        <div class="row">
          <Field id="create-cpus" label="CPUs" error={errors.cpus}>
            <input id="create-cpus" name="cpus" type="number" min={1} max={64} value={cpus} onInput={(e) => setCpus(e.currentTarget.value)} aria-invalid={errors.cpus ? true : undefined} aria-describedby={describedBy('create-cpus', false, errors.cpus)} />
          </Field>
          <Field id="create-memory" label="Memory (MiB)" error={errors.memory}>
            <input id="create-memory" name="memory" type="number" min={32} step={32} value={memory} onInput={(e) => setMemory(e.currentTarget.value)} aria-invalid={errors.memory ? true : undefined} aria-describedby={describedBy('create-memory', false, errors.memory)} />
          </Field>
          <Field id="create-disk" label="Root disk" hint="e.g. 2G; empty: the image's size" error={errors.disk}>
            <input id="create-disk" name="disk" value={disk} placeholder="image size" onInput={(e) => setDisk(e.currentTarget.value)} aria-invalid={errors.disk ? true : undefined} aria-describedby={describedBy('create-disk', true, errors.disk)} />
          </Field>
        </div>
        <div class="row">
          <Field id="create-pool" label="Storage pool" hint="Where the root disk goes." error={errors.pool}>
            <select id="create-pool" name="pool" value={pool} onChange={(e) => setPool(e.currentTarget.value)} aria-invalid={errors.pool ? true : undefined} aria-describedby={describedBy('create-pool', true, errors.pool)}>
              {(pools.data ?? [pool]).map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </Field>
          {isos.length > 0 && (
            <Field id="create-cdrom" label="CD-ROM" hint="An ISO to install from; it boots first." error={errors.cdrom}>
              <select id="create-cdrom" name="cdrom" value={cdrom} onChange={(e) => setCdrom(e.currentTarget.value)} aria-invalid={errors.cdrom ? true : undefined} aria-describedby={describedBy('create-cdrom', true, errors.cdrom)}>
                <option value="">none</option>
                {isos.map((i) => (
                  <option key={i.id} value={i.name}>
                    {i.name}
                  </option>
                ))}
              </select>
            </Field>
          )}
        </div>
        {(networks.data?.length ?? 0) > 0 && <NetworkPicker id="create-networks" networks={networks.data ?? []} chosen={chosenNetworks} onChange={setPicked} error={errors.networks} />}
        <div class="row">
          <Field id="create-accel" label="Accelerator" error={errors.accel}>
            <select id="create-accel" name="accel" value={accel} onChange={(e) => setAccel(e.currentTarget.value as 'auto' | 'kvm' | 'tcg')}>
              <option value="auto">auto (KVM when usable, else TCG)</option>
              <option value="kvm">kvm</option>
              <option value="tcg">tcg</option>
            </select>
          </Field>
          <Field id="create-display" label="Display" hint="VNC adds a screen the graphical console shows; the serial console is always there." error={errors.display}>
            <select id="create-display" name="display" value={display} onChange={(e) => setDisplay(e.currentTarget.value as VmDisplay)} aria-invalid={errors.display ? true : undefined} aria-describedby={describedBy('create-display', true, errors.display)}>
              <option value="none">none (serial console only)</option>
              <option value="vnc">VNC (graphical console)</option>
            </select>
          </Field>
        </div>
        <div class="field check">
          <input id="create-start" type="checkbox" checked={start} onChange={(e) => setStart(e.currentTarget.checked)} />
          <label for="create-start">Start it now</label>
        </div>
        <div class="form-actions">
          <button type="submit" class="primary" id="create-submit" disabled={busy}>
            {busy ? 'Creating…' : 'Create'}
          </button>
          <Link href="/vms" class="button">
            Cancel
          </Link>
        </div>
      </form>
    </div>
  );
}
