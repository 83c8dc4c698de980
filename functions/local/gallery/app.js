/* global document, location, window */
// The gallery page: polls the list of images, renders the grid and the detail view of the
// image named in the URL's hash, uploads dropped or picked files, deletes inputs.
// Plain DOM, no build step: everything comes from the local server (thumbhash.js is the
// ThumbHash package's own module, which decodes each image's placeholder).
import { thumbHashToDataURL } from './thumbhash.js';

const POLL_MS = 1000;
const grid = document.getElementById('grid');
const detail = document.getElementById('detail');
const messages = document.getElementById('messages');
let entries = [];
/** Card HTML by image name: a card is replaced only when what it shows changed. */
const rendered = new Map();

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') node.className = value;
    else if (key in node && !key.includes('-')) node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((child) => child !== undefined && child !== null));
  return node;
}

function size(bytes) {
  if (bytes === undefined) return '–';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}

function blobUrl(container, name) {
  return `/gallery/api/blob?container=${encodeURIComponent(container)}&name=${encodeURIComponent(name)}`;
}

function totalMs(record) {
  const timings = Object.values(record?.timingsMs ?? {});
  return timings.length === 0 ? undefined : Math.round(timings.reduce((a, b) => a + b, 0));
}

/** The smallest rendition: the card's thumbnail. */
function smallest(record) {
  const list = record?.renditions ?? [];
  return list.reduce(
    (best, r) => (best === undefined || r.width * r.height < best.width * best.height ? r : best),
    undefined,
  );
}

function detailHref(name) {
  return `#image=${encodeURIComponent(name)}`;
}

/** The image's ThumbHash placeholder as a data: URL, or undefined without one. */
function placeholderUrl(record) {
  const hash = record?.image?.placeholder?.thumbhash;
  if (!hash) return undefined;
  return thumbHashToDataURL(Uint8Array.from(window.atob(hash), (c) => c.charCodeAt(0)));
}

/** The thumbnail, drawn over its blurred placeholder until it has loaded. */
function thumbnail(entry, thumb) {
  const placeholder = placeholderUrl(entry.record);
  const img = el('img', {
    src: blobUrl(thumb.container, thumb.name),
    alt: `Thumbnail of ${entry.name}`,
    width: thumb.width,
    height: thumb.height,
    loading: 'lazy',
  });
  if (placeholder) {
    img.dataset.placeholder = placeholder;
    img.style.background = `url("${placeholder}") center / 100% 100% no-repeat`;
    // Loaded: the placeholder would show through transparent pixels.
    img.addEventListener('load', () => img.style.removeProperty('background'), { once: true });
  }
  return img;
}

function card(entry) {
  const { record } = entry;
  const thumb = smallest(record);
  const outBytes = record?.renditions?.reduce((sum, r) => sum + r.bytes, 0);
  const ms = totalMs(record);
  const picture = thumb
    ? thumbnail(entry, thumb)
    : el('span', {}, entry.status === 'failed' ? 'no image' : 'processing…');
  const thumbBox = el('div', { class: 'thumb' }, picture);
  // The dominant colour as the card's background for its image: the page's colour before any pixel.
  if (record?.image?.dominantColor) thumbBox.style.backgroundColor = record.image.dominantColor;
  const error =
    record?.status === 'failed'
      ? el('p', { class: 'error' }, el('code', {}, record.error.code), ` ${record.error.message}`)
      : undefined;
  return el(
    'li',
    { class: `card ${entry.status}`, 'data-name': entry.name, 'data-status': entry.status },
    thumbBox,
    el('h3', {}, el('a', { href: detailHref(entry.name) }, entry.name)),
    el('p', {}, el('span', { class: `status ${entry.status}` }, entry.status)),
    el(
      'p',
      {},
      `${size(entry.inputBytes)} → ${outBytes === undefined ? '–' : size(outBytes)}`,
      ms === undefined ? '' : ` · ${ms} ms`,
    ),
    error,
    el(
      'button',
      {
        type: 'button',
        class: 'delete',
        'aria-label': `Delete ${entry.name}`,
        onclick: () => remove(entry.name),
      },
      'Delete',
    ),
  );
}

function renderGrid() {
  const names = new Set(entries.map((e) => e.name));
  for (const [name, item] of rendered) {
    if (!names.has(name)) {
      item.node.remove();
      rendered.delete(name);
    }
  }
  let previous = null;
  for (const entry of entries) {
    const key = JSON.stringify(entry);
    let item = rendered.get(entry.name);
    if (item === undefined || item.key !== key) {
      const node = card(entry);
      if (item !== undefined) item.node.replaceWith(node);
      item = { key, node };
      rendered.set(entry.name, item);
    }
    const expected = previous === null ? grid.firstElementChild : previous.nextElementSibling;
    if (expected !== item.node) grid.insertBefore(item.node, expected);
    previous = item.node;
  }
  document.getElementById('count').textContent = `(${entries.length})`;
}

function facts(pairs) {
  const list = el('dl', { class: 'facts' });
  for (const [term, value] of pairs) {
    if (value === undefined || value === null || value === '') continue;
    list.append(el('dt', {}, term), el('dd', {}, String(value)));
  }
  return list;
}

function imageFacts(record) {
  const { image, source, exif } = record;
  const pairs = [
    [
      'Source',
      `${size(source.bytes)}${source.format ? `, ${source.format}` : ''}${source.declaredContentType ? ` (declared ${source.declaredContentType})` : ''}`,
    ],
    ['Processed at', new Date(record.processedAt).toLocaleString()],
    ['Library', `${record.library.name} ${record.library.version}`],
  ];
  if (image) {
    pairs.push(
      ['Dimensions', `${image.width} × ${image.height}`],
      ['Colour space', image.colorSpace],
      ['Orientation', image.orientation],
      ['Alpha', image.hasAlpha ? 'yes' : 'no'],
      [
        'Animated',
        image.animated ? `yes${image.frameCount ? `, ${image.frameCount} frames` : ''}` : 'no',
      ],
    );
  }
  if (exif) {
    pairs.push(
      ['Camera', [exif.make, exif.model].filter(Boolean).join(' ')],
      ['Taken at', exif.takenAt],
      ['Exposure', exif.exposureTime && `1/${Math.round(1 / exif.exposureTime)} s`],
      ['Aperture', exif.fNumber && `f/${exif.fNumber}`],
      ['ISO', exif.iso],
      ['GPS', exif.gps && `${exif.gps.latitude.toFixed(5)}, ${exif.gps.longitude.toFixed(5)}`],
    );
  }
  if (image?.dominantColor) pairs.push(['Dominant colour', image.dominantColor]);
  if (image?.perceptualHash) pairs.push(['Perceptual hash', image.perceptualHash]);
  if (record.settings) pairs.push(['Settings fingerprint', record.settings.fingerprint]);
  if (source.sha256) pairs.push(['SHA-256', source.sha256]);
  return facts(pairs);
}

function timingsTable(timingsMs) {
  const rows = Object.entries(timingsMs ?? {}).map(([stage, ms]) =>
    el(
      'tr',
      {},
      el('th', { scope: 'row' }, stage),
      el('td', { class: 'num' }, `${ms.toFixed(1)} ms`),
    ),
  );
  return el(
    'table',
    {},
    el('caption', {}, 'Time per stage'),
    el(
      'thead',
      {},
      el('tr', {}, el('th', { scope: 'col' }, 'Stage'), el('th', { scope: 'col' }, 'Time')),
    ),
    el('tbody', {}, ...rows),
  );
}

function figure(src, alt, caption, width, height) {
  return el(
    'figure',
    {},
    el('img', { src, alt, ...(width ? { width, height } : {}) }),
    el('figcaption', {}, caption),
  );
}

function renderDetail() {
  const name = location.hash.startsWith('#image=')
    ? decodeURIComponent(location.hash.slice(7))
    : undefined;
  const entry = entries.find((e) => e.name === name);
  if (name === undefined) {
    detail.hidden = true;
    detail.replaceChildren();
    return;
  }
  const key = JSON.stringify(entry ?? name);
  if (detail.dataset.key === key) return;
  detail.dataset.key = key;
  const close = el('a', { href: '#', class: 'close' }, 'Back to the grid');
  const title = el('h2', { id: 'detail-title', tabIndex: -1 }, name);
  if (entry === undefined) {
    detail.replaceChildren(title, el('p', {}, 'This image is not in input (deleted?).'), close);
  } else {
    const { record } = entry;
    const original = figure(
      blobUrl(entry.container, entry.name),
      `Original of ${entry.name}`,
      `original · ${size(entry.inputBytes)}`,
    );
    const renditions = (record?.renditions ?? []).map((r) =>
      figure(
        blobUrl(r.container, r.name),
        `${r.container} rendition of ${entry.name}`,
        `${r.container} · ${r.width} × ${r.height} · ${size(r.bytes)} · ${r.format}`,
        r.width,
        r.height,
      ),
    );
    const parts = [
      title,
      el(
        'p',
        {},
        el('span', { class: `status ${entry.status}` }, entry.status),
        ` · uploaded ${new Date(entry.uploadedAt).toLocaleString()}`,
      ),
    ];
    if (record?.status === 'failed')
      parts.push(
        el(
          'p',
          { class: 'error' },
          el('code', {}, record.error.code),
          ` ${record.error.message}`,
          record.error.permanent ? ' (permanent)' : ' (transient)',
        ),
      );
    parts.push(
      el('h3', {}, 'Original and renditions at real size'),
      el(
        'div',
        { class: 'renditions' },
        record?.status === 'failed' ? undefined : original,
        ...renditions,
      ),
    );
    if (record) parts.push(el('h3', {}, 'Metadata'), imageFacts(record));
    if (record?.timingsMs)
      parts.push(el('h3', {}, 'Stage timings'), timingsTable(record.timingsMs));
    parts.push(close);
    detail.replaceChildren(...parts);
  }
  const opening = detail.hidden;
  detail.hidden = false;
  if (opening) title.focus();
}

async function refresh() {
  try {
    const response = await fetch('/gallery/api/images', { cache: 'no-store' });
    if (response.ok) {
      entries = await response.json();
      renderGrid();
      renderDetail();
    }
  } finally {
    setTimeout(refresh, POLL_MS);
  }
}

function say(text, refused = false) {
  messages.replaceChildren(el('span', { class: refused ? 'refused' : '' }, text));
}

async function upload(files) {
  const prefix = document.getElementById('prefix').value.trim().replace(/\/+$/, '');
  for (const file of files) {
    const name = prefix === '' ? file.name : `${prefix}/${file.name}`;
    const response = await fetch(`/gallery/api/input?name=${encodeURIComponent(name)}`, {
      method: 'PUT',
      headers: { 'content-type': file.type || 'application/octet-stream' },
      body: file,
    }).catch((error) => ({
      ok: false,
      json: async () => ({ message: `Upload of "${name}" failed: ${error.message}` }),
    }));
    if (response.ok) say(`Uploaded ${name}: processing…`);
    else say((await response.json()).message, true);
  }
  void refreshOnce();
}

async function refreshOnce() {
  const response = await fetch('/gallery/api/images', { cache: 'no-store' });
  if (response.ok) {
    entries = await response.json();
    renderGrid();
    renderDetail();
  }
}

async function remove(name) {
  const response = await fetch(`/gallery/api/input?name=${encodeURIComponent(name)}`, {
    method: 'DELETE',
  });
  if (!response.ok) return say((await response.json()).message, true);
  say(`Deleted ${name}: its results are removed by the BlobDeleted event.`);
  if (location.hash === detailHref(name)) location.hash = '';
  await refreshOnce();
}

const drop = document.getElementById('drop');
const picker = document.getElementById('files');
picker.addEventListener('change', () => {
  void upload([...picker.files]);
  picker.value = '';
});
drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  void upload([...event.dataTransfer.files]);
});
window.addEventListener('hashchange', renderDetail);
void refresh();
