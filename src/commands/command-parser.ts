export interface ParsedCommand {
  /** The canonical name a module registered, e.g. `rules`. */
  name: string;
  /** What follows the command word, trimmed; '' when nothing. */
  args: string;
  /** The word as the user wrote it (`/rules`, `規則`). */
  word: string;
}

/** Resolves a written word (without the leading slash, lower-cased) to a registered command name. */
export type CommandLookup = (word: string) => string | undefined;

const SLASHES = /^[/／]/;

/**
 * A command is `/word args` (half- or full-width slash) or, for commands that register native
 * aliases such as 規則 or กฎ, that alias alone. Anything else is ordinary chat and returns null,
 * so other bots' commands in the same group are ignored too.
 */
export function parseCommand(text: string, lookup: CommandLookup): ParsedCommand | null {
  const trimmed = text.trim();
  if (!trimmed) return null;
  const slashed = SLASHES.test(trimmed);
  const body = slashed ? trimmed.slice(1) : trimmed;
  const match = /^(\S+)(?:\s+([\s\S]*))?$/.exec(body);
  if (!match) return null;
  const word = match[1].normalize('NFKC').toLowerCase();
  const args = (match[2] ?? '').trim();
  const name = lookup(slashed ? `/${word}` : word);
  if (!name) return null;
  // A bare alias must be the whole message: "規則" is a command, "規則是什麼" is chat.
  if (!slashed && args) return null;
  return { name, args, word: match[1] };
}
