/**
 * The optional message chime: a short four-note arpeggio played with WebAudio.
 *
 * Browsers refuse to start audio before the user has interacted with the page, and a page that
 * beeps on load is hostile anyway. So nothing audio-related exists until the first
 * `pointerdown` or `keydown`: only then is the AudioContext created (or resumed), and a message
 * that arrives before that plays nothing.
 */

/** C major arpeggio, C5 E5 G5 C6 (Hz). */
export const CHIME_NOTES: readonly number[] = [523.25, 659.25, 783.99, 1046.5];
const NOTE_SPACING_S = 0.09;
const NOTE_LENGTH_S = 0.22;
const PEAK_GAIN = 0.08;
/** A burst of messages (a replayed inbox) chimes once, not fifty times over itself. */
const MIN_INTERVAL_MS = 1_000;

const GESTURES = ["pointerdown", "keydown"] as const;

/** The part of the WebAudio API the chime uses. */
export interface ChimeAudioContext {
  readonly state: string;
  readonly currentTime: number;
  readonly destination: unknown;
  resume(): Promise<void>;
  close(): Promise<void>;
  createOscillator(): {
    type: string;
    frequency: { setValueAtTime(value: number, time: number): unknown };
    connect(node: never): unknown;
    start(when?: number): void;
    stop(when?: number): void;
  };
  createGain(): {
    gain: {
      setValueAtTime(value: number, time: number): unknown;
      linearRampToValueAtTime(value: number, time: number): unknown;
      exponentialRampToValueAtTime(value: number, time: number): unknown;
    };
    connect(node: never): unknown;
  };
}

export type ChimeAudioContextConstructor = new () => ChimeAudioContext;

export interface Chime {
  /** Plays the arpeggio if the user has interacted with the page; otherwise does nothing. */
  play(): void;
  /** Stops listening for gestures and closes the audio context. */
  dispose(): void;
}

export interface ChimeOptions {
  /** Where gestures are listened for. Default `window`. */
  target?: EventTarget;
  /** Default `window.AudioContext` (or the prefixed Safari one). */
  AudioContext?: ChimeAudioContextConstructor;
  /** Clock for the burst limit (tests). */
  now?: () => number;
}

function defaultAudioContext(): ChimeAudioContextConstructor | undefined {
  if (typeof window === "undefined") return undefined;
  const scope = window as unknown as { AudioContext?: ChimeAudioContextConstructor; webkitAudioContext?: ChimeAudioContextConstructor };
  return scope.AudioContext ?? scope.webkitAudioContext;
}

/**
 * Creates the chime. It listens for the first user gesture; `play()` before that is silent.
 *
 * @example
 * const chime = createChime();
 * socketOptions.onFrame = (frame) => { if (frame.type === "message") chime.play(); };
 * // on teardown
 * chime.dispose();
 */
export function createChime(options: ChimeOptions = {}): Chime {
  const target = options.target ?? (typeof window === "undefined" ? null : window);
  const now = options.now ?? (() => Date.now());
  let context: ChimeAudioContext | null = null;
  let disposed = false;
  let lastPlayed = Number.NEGATIVE_INFINITY;

  const unlock = () => {
    if (disposed) return;
    if (!context) {
      const Ctor = options.AudioContext ?? defaultAudioContext();
      if (!Ctor) return stopListening(); // no WebAudio here: nothing to unlock, ever
      try {
        context = new Ctor();
      } catch {
        return stopListening();
      }
    }
    // A context created outside a gesture starts suspended; resuming inside one unlocks it. The
    // listeners stay: a context the browser suspends later (audio interruption) is resumed by the
    // next gesture.
    if (context.state !== "running") context.resume().catch(() => undefined);
  };

  function stopListening(): void {
    if (!target) return;
    for (const type of GESTURES) target.removeEventListener(type, unlock);
  }

  if (target) for (const type of GESTURES) target.addEventListener(type, unlock);

  return {
    play() {
      if (disposed || !context || context.state !== "running") return;
      const at = now();
      if (at - lastPlayed < MIN_INTERVAL_MS) return;
      lastPlayed = at;
      try {
        const start = context.currentTime;
        CHIME_NOTES.forEach((frequency, index) => {
          const when = start + index * NOTE_SPACING_S;
          const oscillator = context!.createOscillator();
          const gain = context!.createGain();
          oscillator.type = "sine";
          oscillator.frequency.setValueAtTime(frequency, when);
          gain.gain.setValueAtTime(0.0001, when);
          gain.gain.linearRampToValueAtTime(PEAK_GAIN, when + 0.02);
          gain.gain.exponentialRampToValueAtTime(0.0001, when + NOTE_LENGTH_S);
          oscillator.connect(gain as never);
          gain.connect(context!.destination as never);
          oscillator.start(when);
          oscillator.stop(when + NOTE_LENGTH_S + 0.02);
        });
      } catch (error) {
        // Sound is a nicety: a broken audio stack must never break notifications.
        console.warn("[notifications] could not play the chime", error);
      }
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      stopListening();
      context?.close().catch(() => undefined);
      context = null;
    },
  };
}
