// Which stream to ask for: the original when the browser can play it and it fits the quality
// setting, else a transcode (the server's format/maxBitRate parameters).

export const QUALITIES = Object.freeze({ original: 0, high: 320, saver: 128 });

/** Query parameters for /api/v1/tracks/{id}/stream. `canPlay(mime)` wraps audio.canPlayType. */
export function streamParams(track, quality, canPlay) {
  const limit = QUALITIES[quality] ?? 0;
  const playable = !!track.contentType && canPlay(track.contentType);
  const fits = !limit || (track.bitRate > 0 && track.bitRate <= limit);
  if (playable && fits) return {};
  const opus = canPlay('audio/ogg; codecs=opus') || canPlay('audio/webm; codecs=opus');
  return { format: opus ? 'opus' : 'mp3', maxBitRate: limit || 320 };
}
