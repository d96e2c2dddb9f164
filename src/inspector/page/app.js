// The inspector page: streams on the left, a stream's timeline (or the events of one name across
// streams) in the middle, and the selected event with the state after it on the right. Written
// with Preact and htm, so it runs as it is, without a build. Everything shown comes from the
// inspector's /api/ (read-only); the address keeps the selection (#stream=…&version=…), so a view
// can be shared or reloaded.
import { h, render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';

const html = htm.bind(h);

async function api(path, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const each of [value].flat()) if (each !== undefined && each !== '') query.append(key, String(each));
  }
  const response = await fetch(`/api/${path}?${query}`, { headers: { accept: 'application/json' } });
  const body = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
  if (!response.ok)
    throw Object.assign(new Error(body.error ?? response.statusText), { status: response.status });
  return body;
}

function readLocation() {
  const params = new URLSearchParams(location.hash.slice(1));
  const version = Number(params.get('version'));
  return {
    stream: params.get('stream') ?? undefined,
    name: params.get('name') ?? undefined,
    version: Number.isSafeInteger(version) && version > 0 ? version : undefined,
    actor: params.get('actor') ?? undefined,
  };
}

function writeLocation(place) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(place)) if (value !== undefined) params.set(key, String(value));
  const hash = `#${params}`;
  if (location.hash !== hash) history.replaceState(null, '', hash);
}

const compact = (value) => (value === undefined ? 'undefined' : JSON.stringify(value));
/** `2026-11-01T09:00:01.123Z` → `2026-11-01 09:00:01Z`: the whole time is in the tooltip and the detail. */
const shortTime = (at) => (typeof at === 'string' ? at.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '');
const count = (n, noun) => `${n} ${noun}${n === 1 ? '' : 's'}`;
const pretty = (value) => (value === undefined ? 'undefined' : JSON.stringify(value, null, 2));

/** Events read at a time. */
const PAGE = 500;

function emptyTimeline(view) {
  return { view, events: [], version: 0, next: undefined, loading: view !== undefined, error: undefined };
}

/** Events of one timeline, each once, in order: by version in a stream, by position across streams. */
function mergeEvents(view, shown, added) {
  const key = view.kind === 'stream' ? (event) => event.version : (event) => event.position;
  const byKey = new Map(shown.map((event) => [key(event), event]));
  for (const event of added) byKey.set(key(event), event);
  return [...byKey.values()].sort((a, b) => key(a) - key(b));
}

/**
 * Stream lines, each stream once, sorted by id: a line added replaces the one shown, unless the
 * one shown is in `heard` (lines heard live, newer than a read that was issued before them).
 */
function mergeStreams(shown, added, heard = []) {
  const byId = new Map(shown.map((line) => [line.stream, line]));
  const keep = new Set(heard.map((line) => line.stream));
  for (const line of added) if (!keep.has(line.stream)) byId.set(line.stream, line);
  return [...byId.values()].sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
}

function App() {
  const initial = useRef(readLocation()).current;
  const [overview, setOverview] = useState();
  const [problem, setProblem] = useState();
  const [actor, setActor] = useState(initial.actor);
  const [search, setSearch] = useState('');
  const [streams, setStreams] = useState({ streams: [], next: undefined });
  const [streamsProblem, setStreamsProblem] = useState();
  const [view, setView] = useState(
    initial.name !== undefined
      ? { kind: 'name', name: initial.name }
      : initial.stream !== undefined
        ? { kind: 'stream', id: initial.stream }
        : undefined,
  );
  const [timeline, setTimeline] = useState(emptyTimeline(view));
  const [selected, setSelected] = useState(initial.version);
  const [fresh, setFresh] = useState(new Set());
  const [live, setLive] = useState(true);
  const [connected, setConnected] = useState(false);
  const [liveProblem, setLiveProblem] = useState();
  const viewRef = useRef(view);
  viewRef.current = view;
  const searchRef = useRef(search);
  searchRef.current = search;
  const timelineRef = useRef(timeline);
  timelineRef.current = timeline;
  const selectedRef = useRef(selected);
  selectedRef.current = selected;

  useEffect(() => {
    api('overview')
      .then((answer) => {
        setOverview(answer);
        setActor((current) =>
          current !== undefined && answer.actors.includes(current) ? current : answer.actors[0],
        );
      })
      .catch(setProblem);
  }, []);

  /** When each stream was last heard live, to keep what a read issued before it does not know. */
  const heardLive = useRef(new Map());
  const loadStreams = useCallback((text, after) => {
    const asked = performance.now();
    api('streams', { search: text, after, limit: 200 })
      .then((answer) => {
        if (text !== searchRef.current) return;
        setStreamsProblem(undefined);
        setStreams((current) => {
          // A first page replaces the list, except the streams heard live since it was asked for:
          // the answer may predate them. A stream also in a later page is listed once.
          const kept =
            after === undefined
              ? current.streams.filter((line) => (heardLive.current.get(line.stream) ?? -1) >= asked)
              : current.streams;
          return { streams: mergeStreams(kept, answer.streams, kept), next: answer.next };
        });
      })
      .catch((error) => {
        if (text === searchRef.current) setStreamsProblem(error);
      });
  }, []);
  useEffect(() => {
    const timer = setTimeout(() => loadStreams(search), 150);
    return () => clearTimeout(timer);
  }, [search, loadStreams]);

  /** Adds events read or heard to the timeline of `target`, if it is still the one shown. */
  const addToTimeline = useCallback((target, events, facts = {}) => {
    if (viewRef.current !== target) return;
    setTimeline((current) => {
      const base = current.view === target ? current : emptyTimeline(target);
      return {
        ...base,
        ...facts,
        events: mergeEvents(target, base.events, events),
        loading: false,
        error: undefined,
      };
    });
  }, []);

  /**
   * Reads the timeline of `target` from where what is shown ends (from its start when nothing
   * is), page after page, until the event `upTo` (or one page) is in. Reading again never drops
   * an event heard live meanwhile: what is read is merged with what is shown.
   */
  const readTimeline = useCallback(
    async (target, upTo = 0) => {
      if (target === undefined) return;
      try {
        const shown = timelineRef.current.view === target ? timelineRef.current : emptyTimeline(target);
        if (target.kind === 'name') {
          const answer = await api('events', {
            name: target.name,
            after: shown.events.at(-1)?.position ?? 0,
            limit: PAGE,
          });
          addToTimeline(target, answer.events, { next: answer.next });
          return;
        }
        let last = shown.events.at(-1)?.version ?? 0;
        for (;;) {
          const answer = await api('stream', { id: target.id, from: last + 1, limit: PAGE });
          addToTimeline(target, answer.events, { version: answer.version });
          if (viewRef.current !== target) return;
          last = answer.events.at(-1)?.version ?? last;
          if (answer.events.length === 0 || last >= answer.version || last >= upTo) break;
        }
        setSelected((current) => current ?? 1);
      } catch (error) {
        if (viewRef.current === target) {
          setTimeline((current) => ({
            ...(current.view === target ? current : emptyTimeline(target)),
            loading: false,
            error,
          }));
        }
      }
    },
    [addToTimeline],
  );
  useEffect(() => {
    setTimeline(emptyTimeline(view));
    readTimeline(view, selectedRef.current ?? 0);
  }, [view, readTimeline]);

  useEffect(() => {
    if (view?.kind === 'stream') writeLocation({ stream: view.id, version: selected, actor });
    else if (view?.kind === 'name') writeLocation({ name: view.name, actor });
  }, [view, selected, actor]);

  // Live: each stored event updates the stream list, and joins the timeline it belongs to.
  useEffect(() => {
    if (!live) {
      setConnected(false);
      setLiveProblem(undefined);
      return undefined;
    }
    const source = new EventSource('/api/live');
    source.addEventListener('listening', () => {
      setConnected(true);
      setLiveProblem(undefined);
      // Whatever was stored while (re)connecting or paused is read again: nothing falls between.
      loadStreams(searchRef.current);
      readTimeline(viewRef.current);
    });
    source.addEventListener('trouble', (message) => {
      setLiveProblem(JSON.parse(message.data).error);
    });
    source.addEventListener('error', () => setConnected(false));
    source.addEventListener('stored', (message) => {
      const event = JSON.parse(message.data);
      heardLive.current.set(event.stream, performance.now());
      setStreams((current) => {
        const line = { stream: event.stream, version: event.version, lastEventAt: event.at };
        if (current.streams.some((each) => each.stream === event.stream)) {
          return {
            ...current,
            streams: current.streams.map((each) => (each.stream === event.stream ? line : each)),
          };
        }
        // A new stream joins the list if it matches the search; the pages read later are merged
        // with it, each stream listed once.
        if (!event.stream.includes(searchRef.current)) return current;
        return { ...current, streams: mergeStreams(current.streams, [line]) };
      });
      const target = viewRef.current;
      const belongs =
        (target?.kind === 'stream' && target.id === event.stream) ||
        (target?.kind === 'name' && target.name === event.name);
      if (!belongs) return;
      const shown = timelineRef.current;
      if (target.kind === 'stream') {
        const last = shown.view === target ? (shown.events.at(-1)?.version ?? 0) : 0;
        // Only next to what is shown: past an unread gap, the count grows and "More" reads it.
        if (event.version === last + 1)
          addToTimeline(target, [event], { version: Math.max(shown.version, event.version) });
        else if (event.version > last)
          setTimeline((current) => ({ ...current, version: Math.max(current.version, event.version) }));
      } else if (shown.next === undefined) {
        addToTimeline(target, [event]);
      }
      setFresh((current) => new Set(current).add(event.id));
    });
    return () => source.close();
  }, [live, loadStreams, readTimeline, addToTimeline]);

  const openStream = (id) => {
    setSelected(undefined);
    setFresh(new Set());
    setView({ kind: 'stream', id });
  };
  const openName = (name) => {
    setFresh(new Set());
    setView({ kind: 'name', name });
  };
  const openEventInStream = (event) => {
    setFresh(new Set());
    setSelected(event.version);
    setView({ kind: 'stream', id: event.stream });
  };

  const versions = view?.kind === 'stream' ? timeline.events.map((event) => event.version) : [];
  const index = versions.indexOf(selected);
  const unread = view?.kind === 'stream' && versions.length < timeline.version;
  const step = useCallback(
    (delta) => {
      const next = versions[index + delta];
      if (next !== undefined) setSelected(next);
      else if (delta > 0 && index === versions.length - 1 && unread) {
        // Past the last event read: read the next page, and go on to the next event.
        const version = selected + 1;
        readTimeline(view, version).then(() => setSelected(version));
      }
    },
    [versions, index, unread, selected, view, readTimeline],
  );
  useEffect(() => {
    const onKey = (key) => {
      if (key.target instanceof HTMLInputElement || key.target instanceof HTMLSelectElement) return;
      if (key.key === 'ArrowDown' || key.key === 'j') step(1);
      else if (key.key === 'ArrowUp' || key.key === 'k') step(-1);
      else return;
      key.preventDefault();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [step]);

  if (overview === undefined) {
    return problem === undefined
      ? html`<p class="loading">Loading the inspector…</p>`
      : html`<p class="error" role="alert">The inspector cannot be reached: ${problem.message}</p>`;
  }
  const selectedEvent = timeline.events.find((event) => event.version === selected);
  return html`
    <div class="shell">
      <header>
        <h1>Omniscient inspector</h1>
        <span class="store mono" title=${overview.store}>${overview.store}</span>
        ${
          overview.actors.length > 0 &&
          html`<label>
            state by
            <select data-testid="actor" value=${actor} onChange=${(e) => setActor(e.currentTarget.value)}>
              ${overview.actors.map((name) => html`<option value=${name}>${name}</option>`)}
            </select>
          </label>`
        }
        <button
          class=${`live${live ? ' on' : ''}`}
          data-testid="live-toggle"
          aria-pressed=${live}
          title="Show events as they are stored"
          onClick=${() => setLive(!live)}
        >
          <span class="dot"></span>${live ? (connected ? 'Live' : 'Connecting…') : 'Paused'}
        </button>
        ${live && liveProblem !== undefined && html`<span class="error live-problem" role="alert" title=${liveProblem}>Live: ${liveProblem}</span>`}
      </header>
      <aside>
        <input
          type="search"
          placeholder="Search streams"
          aria-label="Search streams"
          data-testid="stream-search"
          value=${search}
          onInput=${(e) => setSearch(e.currentTarget.value)}
        />
        <div class="section-title">Streams</div>
        ${streamsProblem !== undefined && html`<p class="error" role="alert">${streamsProblem.message}</p>`}
        <ul class="streams" data-testid="streams">
          ${streams.streams.map(
            (line) =>
              html`<li class=${view?.kind === 'stream' && view.id === line.stream ? 'selected' : ''}>
                <button
                  data-testid="stream-item"
                  data-stream=${line.stream}
                  onClick=${() => openStream(line.stream)}
                >
                  <span class="mono">${line.stream}</span><span class="count">${line.version}</span>
                </button>
              </li>`,
          )}
          ${streams.streams.length === 0 && html`<li class="hint">No stream${search === '' ? '' : ' matches'}.</li>`}
        </ul>
        ${
          streams.next !== undefined &&
          html`<button class="more" onClick=${() => loadStreams(search, streams.next)}>More streams</button>`
        }
        <form
          onSubmit=${(e) => {
            e.preventDefault();
            const name = new FormData(e.currentTarget).get('name');
            if (typeof name === 'string' && name.trim() !== '') openName(name.trim());
          }}
        >
          <div class="section-title">Events by name</div>
          <input
            name="name"
            placeholder="Event name, then Enter"
            aria-label="Events by name"
            data-testid="name-search"
          />
        </form>
      </aside>
      <main>
        ${
          view === undefined
            ? html`<p class="hint">Pick a stream on the left to see its events.</p>`
            : html`<${Timeline}
                view=${view}
                timeline=${timeline}
                selected=${selected}
                fresh=${fresh}
                onSelect=${setSelected}
                onOpen=${openEventInStream}
                onMore=${() => readTimeline(view, (timeline.events.at(-1)?.version ?? 0) + PAGE)}
              />`
        }
      </main>
      <section class="detail" data-testid="detail">
        ${
          view?.kind === 'stream' && selectedEvent !== undefined
            ? html`<${EventDetail}
                event=${selectedEvent}
                actor=${actor}
                actors=${overview.actors}
                hasPrevious=${index > 0}
                hasNext=${index >= 0 && (index < versions.length - 1 || unread)}
                onStep=${step}
                onName=${openName}
              />`
            : html`<p class="hint">
                ${view?.kind === 'name' ? 'Pick an event to open it in its stream.' : 'Pick an event to see the state after it.'}
              </p>`
        }
      </section>
    </div>
  `;
}

function Timeline({ view, timeline, selected, fresh, onSelect, onOpen, onMore }) {
  const byName = view.kind === 'name';
  if (timeline.error !== undefined) return html`<p class="error" role="alert">${timeline.error.message}</p>`;
  return html`
    <h2 data-testid="timeline-title">
      ${byName ? html`Events named <code>${view.name}</code>` : html`Stream <code>${view.id}</code>`}
      <span class="hint"
        >${count(byName ? timeline.events.length : timeline.version, 'event')}${byName && timeline.next !== undefined ? ' so far' : ''}</span
      >
    </h2>
    <table data-testid="timeline">
      <thead>
        <tr>
          ${
            byName
              ? html`<th class="col-position">position</th>
                  <th class="col-stream">stream</th>`
              : ''
          }
          <th class="col-version">v</th>
          <th class="col-name">name</th>
          <th class="col-at">at</th>
          <th class="col-data">data</th>
          <th class="col-by">by</th>
        </tr>
      </thead>
      <tbody>
        ${timeline.events.map(
          (event) =>
            html`<tr
              class=${`event${!byName && event.version === selected ? ' selected' : ''}${fresh.has(event.id) ? ' fresh' : ''}`}
              data-testid="timeline-row"
              data-version=${event.version}
              onClick=${() => (byName ? onOpen(event) : onSelect(event.version))}
            >
              ${
                byName
                  ? html`<td class="mono">${event.position}</td>
                      <td class="mono" title=${event.stream}>${event.stream}</td>`
                  : ''
              }
              <td class="mono">${event.version}</td>
              <td title=${event.name}>${event.name}</td>
              <td class="mono" title=${event.at}>${shortTime(event.at)}</td>
              <td class="data mono" title=${compact(event.data)}>${compact(event.data)}</td>
              <td>${typeof event.meta?.actor === 'string' ? event.meta.actor : ''}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${timeline.events.length === 0 && !timeline.loading && html`<p class="hint">No event yet.</p>`}
    ${
      (byName ? timeline.next !== undefined : timeline.events.length < timeline.version) &&
      html`<button class="more" data-testid="more-events" onClick=${onMore}>
        More events${byName ? '' : ` (${timeline.version - timeline.events.length} more)`}
      </button>`
    }
  `;
}

function EventDetail({ event, actor, actors, hasPrevious, hasNext, onStep, onName }) {
  const [state, setState] = useState();
  useEffect(() => {
    if (actor === undefined) return undefined;
    let current = true;
    setState(undefined);
    api('state', { stream: event.stream, version: event.version, actor })
      .then((answer) => current && setState(answer))
      .catch((error) => current && setState({ outcome: 'unavailable', error: error.message }));
    return () => {
      current = false;
    };
  }, [event.id, actor]);

  return html`
    <div class="stepper">
      <button
        data-testid="previous-event"
        disabled=${!hasPrevious}
        onClick=${() => onStep(-1)}
        title="Previous event (↑ or k)"
      >
        ↑ Previous
      </button>
      <button
        data-testid="next-event"
        disabled=${!hasNext}
        onClick=${() => onStep(1)}
        title="Next event (↓ or j)"
      >
        ↓ Next
      </button>
      <span class="hint">↑ ↓ to step</span>
    </div>
    <h2 data-testid="detail-title">v${event.version} <code>${event.name}</code></h2>
    <button class="name-link detail-link" data-testid="same-name" onClick=${() => onName(event.name)}>
      Every ${event.name} event, across streams →
    </button>
    <section>
      <h3>Data</h3>
      <pre data-testid="event-data">${pretty(event.data)}</pre>
      <h3>Meta</h3>
      <pre data-testid="event-meta">
${pretty({ id: event.id, position: event.position, at: event.at, ...event.meta })}</pre>
    </section>
    <section>
      ${
        actors.length === 0
          ? html`<p class="hint">
              Start the inspector with <code>--actor ./path/to/module.ts#ClassName</code> to see the state
              after each event.
            </p>`
          : html`<${StateAfter} state=${state} event=${event} />`
      }
    </section>
  `;
}

function StateAfter({ state, event }) {
  if (state === undefined) return html`<p class="hint">Replaying…</p>`;
  if (state.outcome === 'unavailable') return html`<p class="error" role="alert">${state.error}</p>`;
  if (state.outcome === 'failed') {
    const here = state.failedAt.version === event.version;
    return html`
      <div class="failure" data-testid="state-failure">
        ${
          here
            ? html`${state.actor}.${state.failedAt.name} threw at this event: ${state.error}`
            : html`The replay stopped earlier, at v${state.failedAt.version} (${state.failedAt.name}):
              ${state.error}`
        }
      </div>
      <h3>State before v${state.failedAt.version}</h3>
      <pre data-testid="state-json">${pretty(state.stateBefore)}</pre>
    `;
  }
  return html`
    <h3>What v${event.version} changed in ${state.actor}</h3>
    <ul class="changes mono" data-testid="state-changes">
      ${state.changes.length === 0 && html`<li class="hint">(no change to the state)</li>`}
      ${state.changes.map((change) => html`<li class=${change.kind}>${changeText(change)}</li>`)}
    </ul>
    <h3>State after v${event.version}</h3>
    <pre data-testid="state-json">${pretty(state.state)}</pre>
  `;
}

function changeText(change) {
  const path = change.path === '' ? '(state)' : change.path;
  if (change.kind === 'added') return `+ ${path}: ${compact(change.after)}`;
  if (change.kind === 'removed') return `- ${path}: ${compact(change.before)}`;
  return `${path}: ${compact(change.before)} → ${compact(change.after)}`;
}

render(html`<${App} />`, document.getElementById('app'));
