/**
 * The vocabulary of synthetic models: a SentencePiece-style ("llama") token
 * list with `<unk>`, `<s>`, `</s>`, the 256 byte-fallback tokens
 * `<0x00>`..`<0xFF>`, the ChatML control tokens, and then ordinary pieces:
 * U+2581 ("▁") marks a leading space. Every prefix of a multi-character piece
 * is in the vocabulary too, so the tokenizer can merge text up to whole
 * words instead of falling back to bytes.
 */
export interface SynthVocabulary {
  tokens: string[];
  scores: Float32Array;
  types: Int32Array;
  unk: number;
  bos: number;
  /** `</s>`, an end-of-generation token as well. */
  endOfText: number;
  imStart: number;
  /** `<|im_end|>`: the eos token, which ends a ChatML turn. */
  imEnd: number;
  /** Pieces a model may generate (letters, optionally after "▁"): whole words first, then the rest. */
  textPieces: number[];
  /** The whole words ("▁" + a word) among textPieces. */
  wordPieces: number[];
}

export const TokenType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, BYTE: 6 } as const;

const SPACE = "\u2581";

const WORDS = (
  "the of and to in is that it for was on are as with his they at be this from have or by one had not but " +
  "what all were when we there can an your which their said if do will each about how up out them then she " +
  "many some so these would other into has more her two like him see time could no make than first been its " +
  "who now people my made over did down only way find use may water long little very after words called just " +
  "where most know get through back much before go good new write our used me man too any day same right look " +
  "think also around another came come work three word must because does part even place well such here take " +
  "why things help put years different away again off went old number great tell men say small every found " +
  "still between name should home big give air line set own under read last never us left end along while " +
  "might next sound below saw something thought both few those always looked show large often together asked " +
  "house world going want school important until form food keep children feet land side without boy once " +
  "animals life enough took sometimes four head above kind began almost live page got earth need far hand high " +
  "year mother light parts country father let night following picture being study second eyes soon times story " +
  "boys since white days ever paper hard near sentence better best across during today others however sure " +
  "means knew try told young miles sun ways thing whole hear example heard several change answer room sea " +
  "against top turned learn point city play toward five using himself usually model data search text file " +
  "server memory service query index local system node cache vector token stream request response error test"
).split(" ");

const SUFFIXES = ["s", "ing", "ed", "er", "ly", "es", "tion", "al", "ment", "ness", "est", "ers", "able", "ful", "less"];
const LETTERS = "abcdefghijklmnopqrstuvwxyz";
const SINGLES = `${LETTERS}${LETTERS.toUpperCase()}0123456789.,!?'"-:;()/&%$#@+=*[]_`;

function prefixesOf(piece: string): string[] {
  const chars = Array.from(piece);
  return chars.map((_, i) => chars.slice(0, i + 1).join(""));
}

function* fillerPieces(): Generator<string> {
  for (const a of LETTERS) for (const b of LETTERS) yield `${SPACE}${a}${b}`;
  for (const a of LETTERS) for (const b of LETTERS) yield `${a}${b}`;
  for (const a of LETTERS) for (const b of LETTERS) for (const c of LETTERS) yield `${a}${b}${c}`;
  for (const a of LETTERS) for (const b of LETTERS) for (const c of LETTERS) yield `${SPACE}${a}${b}${c}`;
  for (const a of LETTERS) for (const b of LETTERS) for (const c of LETTERS) for (const d of LETTERS) yield `${a}${b}${c}${d}`;
}

const cache = new Map<number, SynthVocabulary>();

/** Builds (and memoises) a vocabulary of exactly `size` tokens; deterministic. */
export function buildSynthVocabulary(size: number): SynthVocabulary {
  const cached = cache.get(size);
  if (cached) return cached;
  const tokens: string[] = [];
  const types: number[] = [];
  const seen = new Set<string>();
  const add = (text: string, type: number): number => {
    if (seen.has(text)) return -1;
    seen.add(text);
    tokens.push(text);
    types.push(type);
    return tokens.length - 1;
  };
  const unk = add("<unk>", TokenType.UNKNOWN);
  const bos = add("<s>", TokenType.CONTROL);
  const endOfText = add("</s>", TokenType.CONTROL);
  for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`, TokenType.BYTE);
  const imStart = add("<|im_start|>", TokenType.CONTROL);
  const imEnd = add("<|im_end|>", TokenType.CONTROL);
  if (size < tokens.length + 64) throw new Error(`vocabulary size ${size} is too small`);

  const wordIds: number[] = [];
  const otherIds: number[] = [];
  const addPiece = (piece: string, isWord: boolean): void => {
    for (const p of prefixesOf(piece)) {
      if (tokens.length >= size) return;
      const id = add(p, TokenType.NORMAL);
      if (id < 0) continue;
      if (!/^\u2581?[A-Za-z]+$/.test(p)) continue;
      if (p === piece && isWord) wordIds.push(id);
      else otherIds.push(id);
    }
  };
  addPiece(SPACE, false);
  for (const ch of SINGLES) addPiece(ch, false);
  for (const w of WORDS) addPiece(`${SPACE}${w}`, true);
  for (const s of SUFFIXES) addPiece(s, false);
  for (const w of WORDS.slice(0, 60)) addPiece(`${SPACE}${w[0].toUpperCase()}${w.slice(1)}`, true);
  for (const f of fillerPieces()) {
    if (tokens.length >= size) break;
    addPiece(f, false);
  }
  if (tokens.length < size) throw new Error(`cannot build a vocabulary of ${size} tokens`);

  // SentencePiece merges the highest-scoring pair first; prefer longer pieces,
  // then earlier (more common) ones.
  const scores = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    scores[i] = types[i] === TokenType.NORMAL ? Array.from(tokens[i]).length - i / size : 0;
  }
  const vocab: SynthVocabulary = {
    tokens,
    scores,
    types: Int32Array.from(types),
    unk,
    bos,
    endOfText,
    imStart,
    imEnd,
    textPieces: [...wordIds, ...otherIds],
    wordPieces: wordIds,
  };
  cache.set(size, vocab);
  return vocab;
}
