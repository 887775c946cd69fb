/** Two tones a technician tells apart without looking: a rising chirp for accepted, a low buzz for rejected. */
let ctx: AudioContext | null = null;
let volume = Number(localStorage.getItem('flashd.volume') ?? '0.3');

export function setVolume(v: number): void {
  volume = Math.min(1, Math.max(0, v));
  localStorage.setItem('flashd.volume', String(volume));
}

export function getVolume(): number {
  return volume;
}

export function beep(kind: 'accepted' | 'rejected'): void {
  if (volume === 0) return;
  try {
    ctx ??= new AudioContext();
    const t = ctx.currentTime;
    const gain = ctx.createGain();
    gain.connect(ctx.destination);
    gain.gain.setValueAtTime(volume, t);
    const osc = ctx.createOscillator();
    osc.connect(gain);
    if (kind === 'accepted') {
      osc.type = 'sine';
      osc.frequency.setValueAtTime(880, t);
      osc.frequency.setValueAtTime(1320, t + 0.09);
      gain.gain.setValueAtTime(0, t + 0.2);
      osc.start(t);
      osc.stop(t + 0.2);
    } else {
      osc.type = 'square';
      osc.frequency.setValueAtTime(180, t);
      gain.gain.setValueAtTime(volume * 0.6, t);
      gain.gain.setValueAtTime(0, t + 0.45);
      osc.start(t);
      osc.stop(t + 0.45);
    }
  } catch {
    // No audio device: the big answer on screen still says it.
  }
}
