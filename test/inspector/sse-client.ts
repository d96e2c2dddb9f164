/**
 * A server-sent events client for the inspector's specifications: `fetch` and a stream reader,
 * parsing the `event:`, `id:` and `data:` fields of each frame as a browser's EventSource does
 * (comment lines ignored, several `data:` lines joined by a newline).
 */

export interface SseFrame {
  readonly event: string;
  readonly id: string | undefined;
  readonly data: string;
}

export class SseConnection {
  readonly status: number;
  readonly headers: Headers;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  readonly #abort: AbortController;
  readonly #decoder = new TextDecoder();
  readonly #frames: SseFrame[] = [];
  #text = '';
  #ended = false;

  private constructor(response: Response, abort: AbortController) {
    this.status = response.status;
    this.headers = response.headers;
    this.#reader = response.body?.getReader();
    this.#abort = abort;
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseConnection> {
    const abort = new AbortController();
    const response = await fetch(url, {
      headers: { Accept: 'text/event-stream', ...headers },
      signal: abort.signal,
    });
    return new SseConnection(response, abort);
  }

  /** The next frame, or `undefined` once the server has ended the stream. */
  async next(): Promise<SseFrame | undefined> {
    for (;;) {
      const frame = this.#frames.shift();
      if (frame !== undefined) return frame;
      if (this.#ended || this.#reader === undefined) return undefined;
      let chunk: Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>;
      try {
        chunk = await this.#reader.read();
      } catch {
        // A connection the server cut ends the stream as surely as a clean end does.
        this.#ended = true;
        return undefined;
      }
      if (chunk.done) {
        this.#ended = true;
        continue;
      }
      this.#text += this.#decoder.decode(chunk.value, { stream: true });
      this.#parse();
    }
  }

  /** The next frame of type `event`, skipping others (`listening`, for instance). */
  async nextOf(event: string): Promise<SseFrame> {
    for (;;) {
      const frame = await this.next();
      if (frame === undefined) throw new Error(`the stream ended before a "${event}" frame`);
      if (frame.event === event) return frame;
    }
  }

  /** The next `count` frames of type `event`. */
  async take(event: string, count: number): Promise<SseFrame[]> {
    const frames: SseFrame[] = [];
    while (frames.length < count) frames.push(await this.nextOf(event));
    return frames;
  }

  /** Resolves once the server ends the stream, with the frames it sent until then. */
  async rest(): Promise<SseFrame[]> {
    const frames: SseFrame[] = [];
    for (let frame = await this.next(); frame !== undefined; frame = await this.next()) frames.push(frame);
    return frames;
  }

  close(): void {
    this.#abort.abort();
  }

  #parse(): void {
    for (;;) {
      const end = /\r\n\r\n|\n\n|\r\r/.exec(this.#text);
      if (end === null) return;
      const block = this.#text.slice(0, end.index);
      this.#text = this.#text.slice(end.index + end[0].length);
      let event = 'message';
      let id: string | undefined;
      const data: string[] = [];
      let fields = 0;
      for (const line of block.split(/\r\n|\n|\r/)) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        fields++;
        if (field === 'event') event = value;
        else if (field === 'id') id = value;
        else if (field === 'data') data.push(value);
      }
      if (fields > 0) this.#frames.push({ event, id, data: data.join('\n') });
    }
  }
}
