/** Text cut to a width, for the terminal and the inspector alike. */

/** `text` cut to `width` characters (code points, never half a surrogate pair), ending with `…` when cut. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  const characters = [...text];
  if (characters.length <= width) return text;
  return `${characters.slice(0, Math.max(0, width - 1)).join('')}…`;
}
