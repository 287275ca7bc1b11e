/**
 * The rtmskit dashboard: the service's live streams and past recordings, from its own API.
 *
 * - `GET /api/streams` and `GET /api/recordings` give the state at load (and after the feed comes back).
 * - `GET /api/events` (Server-Sent Events) keeps it current; EventSource reconnects by itself and resumes
 *   with Last-Event-ID, and a service that restarted says `replayTruncated`: the state is loaded again.
 * - The stream shown opens `GET /api/streams/:id/live?kinds=audio` (WebSocket) for its level meters.
 *
 * Drawing happens at most once per animation frame, only of what changed, so a hundred live streams and
 * their events do not freeze the page. Every text from a meeting goes in as text, never as HTML.
 */

/** What each stream keeps for the page: the newest lines, enough to read, bounded. */
const MAX_TRANSCRIPT = 500;
const MAX_CHAT = 300;
const MAX_TIMELINE = 300;
/** Level meters: how fast a level falls once its frames stop, per second (a share of full scale). */
const METER_FALL_PER_SEC = 2.5;
/** dBFS at the meter's left end. */
const METER_FLOOR_DB = -60;
/** The feed is given up for a fresh EventSource after it stays closed this long. */
const FEED_RETRY_MS = 3000;
const TOKEN_KEY = 'rtmskit-admin-token';
const L16 = 1;

const EVENT_TYPES = [
  'streamStarted',
  'streamEnded',
  'stateChange',
  'participantJoin',
  'participantLeave',
  'participantVideo',
  'activeSpeaker',
  'sharingStart',
  'sharingStop',
  'firstPacket',
  'transcript',
  'chat',
  'reconnecting',
  'reconnected',
  'recordingFinished',
];

const state = {
  instance: '',
  media: [],
  /** @type {Map<string, LiveStream>} */
  live: new Map(),
  /** Streams that ended while the page watched, for their view. @type {Map<string, LiveStream>} */
  ended: new Map(),
  /** @type {Recording[]} */
  past: [],
  /** `live:<streamId>` or `past:<path>` */
  selected: '',
  dirty: { list: true, detail: true },
};

/**
 * @typedef {{ streamId: string, product: string, instanceId: string, meetingId?: string, status: string,
 *   startedAt: number, owner: string, participants: Map<number, Person>, transcript: Line[], chat: Line[],
 *   timeline: Mark[], reconnects: number, lostSince?: number, ended?: string, speaking?: number,
 *   sharing?: number }} LiveStream
 * @typedef {{ userId: number, name: string, present: boolean, video?: boolean }} Person
 * @typedef {{ at: number, who: string, text: string }} Line
 * @typedef {{ at: number, tone: string, text: string }} Mark
 * @typedef {{ path: string, day: string, stream: string, status: string, manifest: any }} Recording
 */

// ---------------------------------------------------------------------------------------------------
// The service's API, with the admin token when one is needed

const token = () => sessionStorage.getItem(TOKEN_KEY) ?? '';

/** `path` with `?access_token=` when a token is set: for EventSource, WebSocket and `<audio>`. */
function withToken(path) {
  const t = token();
  if (!t) return path;
  return `${path}${path.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(t)}`;
}

class Unauthorized extends Error {}

async function api(path) {
  const headers = token() ? { authorization: `Bearer ${token()}` } : {};
  const res = await fetch(path, { headers, cache: 'no-store' });
  if (res.status === 401)
    throw new Unauthorized((await res.json().catch(() => ({}))).message ?? 'unauthorized');
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

function askForToken(message) {
  const form = document.getElementById('auth');
  form.hidden = false;
  document.getElementById('auth-error').textContent = message ?? '';
  setFeed('failed', 'admin token needed');
}

document.getElementById('auth').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, document.getElementById('token').value.trim());
  document.getElementById('auth').hidden = true;
  void start();
});

// ---------------------------------------------------------------------------------------------------
// State from the API and the feed

function liveFrom(snapshot, owner) {
  /** @type {LiveStream} */
  const stream = {
    streamId: snapshot.streamId,
    product: snapshot.product,
    instanceId: snapshot.instanceId,
    meetingId: snapshot.meetingId ?? undefined,
    status: snapshot.status ?? 'connecting',
    startedAt: snapshot.startedAt ?? Date.now(),
    owner,
    participants: new Map(),
    transcript: [],
    chat: [],
    timeline: [],
    reconnects: snapshot.counters?.reconnects ?? 0,
  };
  for (const p of snapshot.participants ?? [])
    stream.participants.set(p.userId, {
      userId: p.userId,
      name: p.userName ?? `user ${p.userId}`,
      present: true,
    });
  return stream;
}

async function loadState() {
  const [streams, recordings] = await Promise.all([api('/api/streams'), api('/api/recordings')]);
  state.instance = streams.instance;
  state.media = streams.media ?? [];
  const owners = new Map((streams.recent ?? []).map((r) => [r.streamId, r.owner]));
  const next = new Map();
  for (const snapshot of streams.live) {
    // What the page learned from the feed is kept; the snapshot brings the status and the people.
    const known = state.live.get(snapshot.streamId);
    const fresh = liveFrom(snapshot, owners.get(snapshot.streamId) ?? streams.instance);
    next.set(
      snapshot.streamId,
      known ? { ...known, status: fresh.status, participants: fresh.participants } : fresh,
    );
  }
  // Streams held by other instances of a fleet: the registry knows them as active.
  for (const record of streams.recent ?? []) {
    if (record.state !== 'active' || next.has(record.streamId)) continue;
    const known = state.live.get(record.streamId);
    next.set(
      record.streamId,
      known ?? liveFrom({ ...record, status: 'ready', startedAt: record.startedAt }, record.owner ?? '?'),
    );
  }
  state.live = next;
  state.past = recordings.recordings;
  document.getElementById('instance').textContent = `instance ${state.instance}`;
  markAll();
}

function nameOf(stream, userId, given) {
  if (given) return given;
  if (userId === 0) return 'everyone (mixed)';
  return stream?.participants.get(userId)?.name ?? `user ${userId}`;
}

function push(list, item, max) {
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
}

function mark(stream, tone, text, at) {
  push(stream.timeline, { at, tone, text }, MAX_TIMELINE);
}

function onEvent(type, event) {
  let stream = state.live.get(event.streamId);
  const data = event.data ?? {};
  if (type === 'streamStarted') {
    stream ??= liveFrom({ ...event, status: 'connecting', startedAt: event.at }, event.origin);
    state.live.set(event.streamId, stream);
    mark(stream, 'good', `stream started on ${event.origin}`, event.at);
  }
  if (type === 'recordingFinished') {
    void api('/api/recordings')
      .then((r) => {
        state.past = r.recordings;
        markAll();
      })
      .catch(() => undefined);
  }
  if (!stream) {
    if (type === 'streamEnded' || type === 'recordingFinished') return;
    // A stream the page has not heard start (it started while the page loaded): known from now on,
    // with its state from the API shortly.
    stream = liveFrom({ ...event, status: 'ready', startedAt: event.at }, event.origin);
    state.live.set(event.streamId, stream);
    refreshSoon();
  }
  switch (type) {
    case 'stateChange':
      stream.status = data.to;
      if (data.to === 'lost' || data.to === 'failed') mark(stream, 'bad', `stream ${data.to}`, event.at);
      break;
    case 'streamEnded':
      stream.ended = data.reason;
      mark(stream, data.reason === 'stopped' ? 'good' : 'bad', `ended: ${endText(data)}`, event.at);
      stream.status = 'ended';
      state.live.delete(event.streamId);
      // The view of a stream that just ended stays, with its end, until another is picked.
      state.ended.set(event.streamId, stream);
      break;
    case 'reconnecting':
      stream.status = 'reconnecting';
      stream.lostSince ??= event.at;
      mark(
        stream,
        'warn',
        `reconnecting ${data.scope === 'all' ? 'everything' : (data.kinds ?? []).join('+')} (${data.reason}), attempt ${data.attempt}`,
        event.at,
      );
      break;
    case 'reconnected':
      stream.reconnects += 1;
      stream.lostSince = undefined;
      if (stream.status === 'reconnecting') stream.status = 'ready';
      mark(
        stream,
        'good',
        `recovered ${data.scope === 'all' ? 'everything' : (data.kinds ?? []).join('+')} in ${Math.round(data.downtimeMs)} ms after ${data.attempts} attempt${data.attempts === 1 ? '' : 's'}`,
        event.at,
      );
      break;
    case 'firstPacket':
      mark(stream, 'good', 'first media packet', event.at);
      break;
    case 'participantJoin':
    case 'participantLeave':
      for (const p of data.participants ?? []) {
        const person = stream.participants.get(p.userId) ?? {
          userId: p.userId,
          name: p.userName ?? `user ${p.userId}`,
          present: true,
        };
        person.present = type === 'participantJoin';
        if (p.userName) person.name = p.userName;
        stream.participants.set(p.userId, person);
        mark(stream, '', `${person.name} ${person.present ? 'joined' : 'left'}`, event.at);
      }
      break;
    case 'participantVideo':
      for (const p of data.participants ?? []) {
        const person = stream.participants.get(p.userId);
        if (person) person.video = data.on;
        mark(
          stream,
          '',
          `${nameOf(stream, p.userId, p.userName)} turned video ${data.on ? 'on' : 'off'}`,
          event.at,
        );
      }
      break;
    case 'activeSpeaker':
      stream.speaking = data.userId;
      break;
    case 'sharingStart':
      stream.sharing = data.userId;
      mark(stream, '', `${nameOf(stream, data.userId, data.userName)} started sharing`, event.at);
      break;
    case 'sharingStop':
      stream.sharing = undefined;
      mark(stream, '', 'sharing stopped', event.at);
      break;
    case 'transcript':
    case 'chat': {
      const line = { at: event.at, who: nameOf(stream, data.userId, data.userName), text: data.text };
      if (type === 'transcript') push(stream.transcript, line, MAX_TRANSCRIPT);
      else push(stream.chat, line, MAX_CHAT);
      break;
    }
  }
  state.dirty.list = true;
  if (state.selected === `live:${event.streamId}` || type === 'streamEnded') state.dirty.detail = true;
  schedule();
}

let refreshTimer;
function refreshSoon() {
  if (refreshTimer !== undefined) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = undefined;
    void loadState().catch(onLoadError);
  }, 500);
}

function endText(data) {
  const why = data.stopReasonName ? ` (${data.stopReasonName})` : '';
  const error = data.error?.message ? `: ${data.error.message}` : '';
  return `${data.reason ?? 'ended'}${why}${error}`;
}

// ---------------------------------------------------------------------------------------------------
// The feed

let feed;
let feedRetry;

function setFeed(kind, text) {
  const el = document.getElementById('feed');
  el.dataset.state = kind;
  el.textContent = text;
}

function openFeed() {
  feed?.close();
  clearTimeout(feedRetry);
  const source = new EventSource(withToken('/api/events'));
  feed = source;
  source.addEventListener('open', () => {
    setFeed('live', 'live');
    // Loaded once the feed is open, so nothing happens in between unseen; again after every break, as
    // what happened meanwhile may be beyond the replay.
    void loadState().catch(onLoadError);
  });
  source.addEventListener('error', () => {
    setFeed('reconnecting', 'reconnecting…');
    // EventSource retries by itself, but gives up on some failures and backs off on others: if it is not
    // back within a few seconds, the page starts over (state, then a new feed) on its own clock.
    clearTimeout(feedRetry);
    feedRetry = setTimeout(() => {
      if (feed === source && source.readyState !== EventSource.OPEN) void start();
    }, FEED_RETRY_MS);
  });
  source.addEventListener('replayTruncated', () => void loadState().catch(onLoadError));
  for (const type of EVENT_TYPES) {
    source.addEventListener(type, (message) => {
      try {
        onEvent(type, JSON.parse(message.data));
      } catch (err) {
        console.warn('an event the page could not read', err);
      }
    });
  }
}

function onLoadError(err) {
  if (err instanceof Unauthorized) askForToken(token() ? 'That token was refused.' : '');
  else {
    setFeed('reconnecting', 'service unreachable; retrying');
    clearTimeout(feedRetry);
    feedRetry = setTimeout(() => void start(), FEED_RETRY_MS);
  }
}

async function start() {
  // A first load tells whether a token is needed before the feed is opened with it.
  try {
    await loadState();
  } catch (err) {
    onLoadError(err);
    return;
  }
  openFeed();
}

// ---------------------------------------------------------------------------------------------------
// Audio levels of the stream shown

/** @type {{ streamId: string, socket: WebSocket, levels: Map<number, { level: number, at: number }> } | undefined} */
let audio;

function watchAudio(streamId) {
  if (audio?.streamId === streamId) return;
  audio?.socket.close();
  audio = undefined;
  if (!streamId) return;
  const url = new URL(
    withToken(`/api/streams/${encodeURIComponent(streamId)}/live?kinds=audio`),
    location.href,
  );
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(url);
  socket.binaryType = 'arraybuffer';
  const watched = { streamId, socket, levels: new Map() };
  audio = watched;
  socket.addEventListener('message', (message) => {
    if (!(message.data instanceof ArrayBuffer)) return;
    const view = new DataView(message.data);
    if (view.byteLength < 20 || view.getUint8(0) !== 1 || view.getUint8(1) !== 1) return;
    const userId = view.getUint32(8);
    const level = view.getUint8(2) === L16 ? levelOf(message.data) : 0.5;
    const previous = watched.levels.get(userId);
    if (!previous) state.dirty.detail = true;
    watched.levels.set(userId, { level: Math.max(level, currentLevel(previous)), at: performance.now() });
    schedule();
  });
  socket.addEventListener('close', () => {
    // The stream ended or the service went away; the next selection (or load) opens another.
    if (audio === watched) audio = undefined;
  });
}

/** The level of one L16 frame, 0 (at or below the floor) to 1 (full scale), from its RMS in dBFS. */
function levelOf(buffer) {
  const samples = new Int16Array(buffer, 20, Math.floor((buffer.byteLength - 20) / 2));
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  const rms = Math.sqrt(sum / samples.length) / 32768;
  if (rms <= 0) return 0;
  const db = 20 * Math.log10(rms);
  return Math.min(1, Math.max(0, (db - METER_FLOOR_DB) / -METER_FLOOR_DB));
}

function currentLevel(entry) {
  if (!entry) return 0;
  const seconds = (performance.now() - entry.at) / 1000;
  return Math.max(0, entry.level - seconds * METER_FALL_PER_SEC);
}

function drawMeters() {
  if (!audio) return false;
  let moving = false;
  for (const li of document.querySelectorAll('.meters li[data-user]')) {
    const level = currentLevel(audio.levels.get(Number(li.dataset.user)));
    li.dataset.level = level.toFixed(3);
    li.querySelector('.meter span').style.width = `${(level * 100).toFixed(1)}%`;
    if (level > 0) moving = true;
  }
  return moving;
}

// ---------------------------------------------------------------------------------------------------
// Drawing

/** An element with attributes and children; strings become text nodes, never HTML. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat())
    if (child !== undefined && child !== null && child !== false) el.append(child);
  return el;
}

const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour12: false });

function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m}:${String(s % 60).padStart(2, '0')}`;
}

function title(stream) {
  return stream.meetingId
    ? `${stream.product} ${stream.meetingId}`
    : `${stream.product} ${stream.instanceId.slice(0, 12)}`;
}

function statusBadge(stream) {
  const badges = [h('span', { class: `badge ${stream.status}` }, stream.status)];
  if (stream.status === 'reconnecting' && stream.lostSince)
    badges.push(h('span', { class: 'sub' }, `for ${duration(Date.now() - stream.lostSince)}`));
  else if (stream.reconnects > 0)
    badges.push(' ', h('span', { class: 'badge recovered' }, `recovered ×${stream.reconnects}`));
  return badges;
}

function drawList() {
  const body = document.querySelector('#live tbody');
  const streams = [...state.live.values()].sort((a, b) => b.startedAt - a.startedAt);
  syncRows(
    body,
    streams.map((s) =>
      h(
        'tr',
        {
          'data-stream': s.streamId,
          'data-key': s.streamId,
          'aria-selected': state.selected === `live:${s.streamId}` ? 'true' : 'false',
          onclick: () => select(`live:${s.streamId}`),
        },
        h('td', {}, title(s), h('span', { class: 'sub' }, s.streamId)),
        h('td', {}, statusBadge(s)),
        h('td', {}, duration(Date.now() - s.startedAt)),
        h('td', {}, s.owner),
        h('td', {}, state.media.join(', ')),
      ),
    ),
  );
  document.getElementById('live-count').textContent = String(streams.length);
  document.getElementById('live-empty').hidden = streams.length > 0;
  const past = document.querySelector('#past tbody');
  // A live stream's recording is still being written: it shows once the stream ends.
  const finished = state.past.filter(
    (r) => r.manifest?.endedAt || !state.live.has(r.manifest?.streamId ?? r.stream),
  );
  syncRows(
    past,
    finished.map((r) => {
      const m = r.manifest ?? {};
      const length =
        m.startedAt && m.endedAt ? duration(Date.parse(m.endedAt) - Date.parse(m.startedAt)) : '…';
      return h(
        'tr',
        {
          'data-recording': r.path,
          'data-key': r.path,
          'aria-selected': state.selected === `past:${r.path}` ? 'true' : 'false',
          onclick: () => select(`past:${r.path}`),
        },
        h(
          'td',
          {},
          m.product
            ? title({ product: m.product, meetingId: m.meetingId, instanceId: m.instanceId ?? '' })
            : r.stream,
          h('span', { class: 'sub' }, m.streamId ?? r.stream),
        ),
        h('td', {}, m.endedAt ? new Date(m.endedAt).toLocaleString() : m.startedAt ? 'recording' : r.status),
        h('td', {}, length),
        h('td', {}, m.stopReasonName ?? m.endReason ?? ''),
      );
    }),
  );
  document.getElementById('past-count').textContent = String(finished.length);
}

/**
 * Makes `body` hold `rows`, in order, touching only rows whose content changed: a row under the pointer
 * stays the same element while other streams' events come, so it can be hovered and clicked.
 */
function syncRows(body, rows) {
  const current = [...body.children];
  rows.forEach((row, i) => {
    const existing = current.find((tr) => tr.dataset.key === row.dataset.key);
    const html = row.outerHTML;
    let kept = row;
    if (existing && existing.dataset.html === html) kept = existing;
    else if (existing) existing.replaceWith(row);
    kept.dataset.html = html;
    if (body.children[i] !== kept) body.insertBefore(kept, body.children[i] ?? null);
  });
  while (body.children.length > rows.length) body.lastElementChild.remove();
}

function select(key) {
  state.selected = key;
  markAll();
}

function drawLive(stream) {
  watchAudio(stream.status === 'ended' ? undefined : stream.streamId);
  const people = [...stream.participants.values()];
  const levels = audio?.streamId === stream.streamId ? [...audio.levels.keys()].sort((a, b) => a - b) : [];
  const line = (l) => h('li', {}, h('time', {}, clock(l.at)), h('b', {}, l.who), l.text);
  return [
    h('h2', {}, title(stream)),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'stream'),
      h('dd', {}, stream.streamId),
      h('dt', {}, 'state'),
      h('dd', {}, statusBadge(stream)),
      h('dt', {}, 'for'),
      h('dd', {}, duration(Date.now() - stream.startedAt)),
      h('dt', {}, 'owner'),
      h('dd', {}, stream.owner),
    ),
    h(
      'div',
      { class: 'grid' },
      h(
        'div',
        { class: 'panel' },
        h('h3', {}, `Participants (${people.filter((p) => p.present).length})`),
        h(
          'ul',
          { class: 'plain people' },
          people.map((p) =>
            h(
              'li',
              { class: p.present ? '' : 'left', 'data-user': p.userId },
              p.name,
              stream.speaking === p.userId ? h('span', { class: 'badge ready' }, 'speaking') : null,
              p.video ? h('span', { class: 'badge' }, 'video') : null,
              stream.sharing === p.userId ? h('span', { class: 'badge recovered' }, 'sharing') : null,
            ),
          ),
        ),
      ),
      h(
        'div',
        { class: 'panel' },
        h('h3', {}, 'Audio'),
        levels.length === 0
          ? h('p', { class: 'muted' }, 'waiting for audio…')
          : h(
              'ul',
              { class: 'plain meters' },
              levels.map((userId) =>
                h(
                  'li',
                  { 'data-user': userId, 'data-level': '0' },
                  nameOf(stream, userId),
                  h('div', { class: 'meter' }, h('span')),
                ),
              ),
            ),
      ),
    ),
    h('h3', {}, 'Transcript'),
    h('ul', { class: 'plain log transcript' }, stream.transcript.map(line)),
    h('h3', {}, 'Chat'),
    stream.chat.length === 0
      ? h('p', { class: 'muted' }, 'no chat yet')
      : h('ul', { class: 'plain log chat' }, stream.chat.map(line)),
    h('h3', {}, 'Timeline'),
    h(
      'ul',
      { class: 'plain log timeline' },
      stream.timeline.map((m) => h('li', { class: m.tone }, h('time', {}, clock(m.at)), m.text)),
    ),
  ];
}

function fileUrl(recording, file) {
  return withToken(
    `/api/recordings/files/${recording.path.split('/').map(encodeURIComponent).join('/')}/${file.split('/').map(encodeURIComponent).join('/')}`,
  );
}

/** Transcripts of shown recordings, once fetched. */
const transcripts = new Map();

function pastTranscript(recording, lines) {
  const has = (recording.manifest?.files ?? []).some((f) => f.path === 'transcript.jsonl');
  if (lines === undefined)
    return h('p', { class: 'muted past-transcript' }, has ? 'loading…' : 'no transcript');
  return h(
    'ul',
    { class: 'plain log transcript past-transcript' },
    lines.map((l) => h('li', {}, h('b', {}, l.userName ?? `user ${l.userId}`), l.text)),
  );
}

/** `12.34 s`. */
function seconds(ms) {
  return typeof ms === 'number' ? `${(ms / 1000).toFixed(2)} s` : '? s';
}

function drawPast(recording) {
  watchAudio(undefined);
  const m = recording.manifest ?? {};
  const files = m.files ?? [];
  const wavs = files.filter((f) => f.path.endsWith('.wav'));
  const has = (name) => files.some((f) => f.path === name);
  if (has('transcript.jsonl') && !transcripts.has(recording.path)) {
    transcripts.set(recording.path, undefined);
    fetch(fileUrl(recording, 'transcript.jsonl'), { cache: 'no-store' })
      .then((r) => (r.ok ? r.text() : ''))
      .then((text) => {
        const lines = text
          .split('\n')
          .filter(Boolean)
          .map((l) => {
            try {
              return JSON.parse(l);
            } catch {
              return undefined;
            }
          })
          .filter(Boolean);
        transcripts.set(recording.path, lines);
        // In place: redrawing the whole view would restart the audio player.
        const shown =
          state.selected === `past:${recording.path}`
            ? document.querySelector('#detail .past-transcript')
            : null;
        shown?.replaceWith(pastTranscript(recording, lines));
      })
      .catch((err) => console.warn('transcript not loaded', err));
  }
  const lines = transcripts.get(recording.path);
  const counters = Object.entries(m.counters ?? {}).filter(([, v]) => typeof v === 'number');
  // Files made after the stream (decoded audio, copies, MP4) that the recording's own list lacks.
  const listed = new Set(files.map((f) => f.path));
  const made = (m.encoding?.outputs ?? []).filter((o) => !listed.has(o.path));
  const videos = made.filter((o) => o.format === 'mp4');
  const failures = m.encoding?.failures ?? [];
  return [
    h(
      'h2',
      {},
      m.product
        ? title({ product: m.product, meetingId: m.meetingId, instanceId: m.instanceId ?? '' })
        : recording.stream,
    ),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'stream'),
      h('dd', {}, m.streamId ?? recording.stream),
      h('dt', {}, 'started'),
      h('dd', {}, m.startedAt ? new Date(m.startedAt).toLocaleString() : '?'),
      h('dt', {}, 'ended'),
      h('dd', {}, m.endedAt ? new Date(m.endedAt).toLocaleString() : 'not finished'),
      h('dt', {}, 'why'),
      h('dd', {}, [m.endReason, m.stopReasonName].filter(Boolean).join(': ') || '?'),
      h('dt', {}, 'folder'),
      h('dd', {}, `recordings/${recording.path}`),
    ),
    h('h3', {}, 'Audio'),
    wavs.length === 0
      ? h('p', { class: 'muted' }, 'no audio recorded')
      : wavs.map((f) =>
          h(
            'div',
            {},
            h('span', { class: 'sub' }, `${f.path}${f.userName ? ` (${f.userName})` : ''}`),
            h('audio', { controls: true, preload: 'metadata', src: fileUrl(recording, f.path) }),
          ),
        ),
    h('h3', {}, 'Video'),
    videos.length === 0
      ? h(
          'p',
          { class: 'muted' },
          m.encoding?.state === 'pending' ? 'being made…' : 'no MP4 (RTMSKIT_ENCODE=mp4 makes one)',
        )
      : videos.map((o) =>
          h(
            'div',
            {},
            h('span', { class: 'sub' }, `${o.path} (${seconds(o.durationMs)})`),
            h('video', { controls: true, preload: 'metadata', src: fileUrl(recording, o.path) }),
          ),
        ),
    failures.length === 0
      ? null
      : h(
          'ul',
          { class: 'plain failures' },
          failures.map((f) => h('li', {}, h('b', {}, `${f.path} not made: `), `${f.error}. ${f.fix}`)),
        ),
    h('h3', {}, 'Transcript'),
    h(
      'p',
      {},
      ['transcript.vtt', 'transcript.srt', 'transcript.jsonl']
        .filter(has)
        .flatMap((name) => [h('a', { href: fileUrl(recording, name), download: name }, name), ' ']),
    ),
    pastTranscript(recording, lines),
    h('h3', {}, 'Counters'),
    h(
      'dl',
      { class: 'facts' },
      counters.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))]),
    ),
    h('h3', {}, 'Files'),
    h(
      'ul',
      { class: 'plain' },
      files.map((f) =>
        h(
          'li',
          {},
          h('a', { href: fileUrl(recording, f.path) }, f.path),
          h('span', { class: 'muted' }, ` ${f.bytes ?? 0} bytes`),
        ),
      ),
      made.map((o) =>
        h(
          'li',
          {},
          h('a', { href: fileUrl(recording, o.path) }, o.path),
          h('span', { class: 'muted' }, ` ${o.bytes ?? 0} bytes, ${seconds(o.durationMs)}`),
        ),
      ),
      h('li', {}, h('a', { href: fileUrl(recording, 'manifest.json') }, 'manifest.json')),
    ),
  ];
}

function drawDetail() {
  const detail = document.getElementById('detail');
  const [kind, id] = [
    state.selected.slice(0, state.selected.indexOf(':')),
    state.selected.slice(state.selected.indexOf(':') + 1),
  ];
  const liveStream = kind === 'live' ? (state.live.get(id) ?? state.ended.get(id)) : undefined;
  const recording = kind === 'past' ? state.past.find((r) => r.path === id) : undefined;
  // Keep the reader's place in long lists across redraws.
  const scrolls = [...detail.querySelectorAll('.log')].map((el) => [
    el.className,
    el.scrollTop,
    el.scrollHeight - el.clientHeight - el.scrollTop < 4,
  ]);
  // A recording's view changes only when another is picked or it finishes: a redraw restarts its player.
  const drawn = recording
    ? `${state.selected}|${recording.manifest?.endedAt ?? ''}|${recording.manifest?.files?.length ?? 0}|${recording.manifest?.encoding?.state ?? ''}`
    : state.selected;
  if (recording && detail.dataset.drawn === drawn) return;
  detail.dataset.drawn = drawn;
  if (liveStream) detail.replaceChildren(...drawLive(liveStream).flat());
  else if (recording) detail.replaceChildren(...drawPast(recording).flat().filter(Boolean));
  else {
    watchAudio(undefined);
    detail.replaceChildren(
      h(
        'p',
        { class: 'muted' },
        'Pick a stream to see its participants, audio, transcript, chat and timeline.',
      ),
    );
  }
  for (const el of detail.querySelectorAll('.log')) {
    const before = scrolls.find(([name]) => name === el.className);
    el.scrollTop = !before || before[2] ? el.scrollHeight : before[1];
  }
  drawMeters();
}

let frame = 0;
function schedule() {
  if (frame === 0) frame = requestAnimationFrame(draw);
}

function draw() {
  frame = 0;
  if (state.dirty.list) drawList();
  if (state.dirty.detail) drawDetail();
  state.dirty.list = false;
  state.dirty.detail = false;
  // The meters fall back to rest by themselves, frame by frame, until they are still.
  if (drawMeters()) schedule();
}

function markAll() {
  state.dirty.list = true;
  state.dirty.detail = true;
  schedule();
}

// Durations tick on their own.
setInterval(() => {
  if (state.live.size === 0) return;
  state.dirty.list = true;
  if (state.selected.startsWith('live:')) state.dirty.detail = true;
  schedule();
}, 1000);

void start();
