/**
 * Finds a Python pickle stream start in raw bytes: the PROTO opcode 0x80 with
 * protocol 2..5, followed by what pickles begin with (FRAME 0x95 for protocol
 * 4+, or an opening opcode such as `}` `]` `(` `c` `X` `\x8c` `q` `)` `K`).
 * Returns the offset of the 0x80, or -1.
 *
 * Meant for metadata strings and byte arrays, where 0x80 can only be a UTF-8
 * continuation byte and a following 0x02..0x05 control byte never occurs in
 * real text; numeric arrays (scores, token types) are not scanned, because
 * their binary values would match by chance.
 */
const openers = new Set([
  0x7d, // } EMPTY_DICT
  0x5d, // ] EMPTY_LIST
  0x28, // ( MARK
  0x29, // ) EMPTY_TUPLE
  0x63, // c GLOBAL
  0x58, // X BINUNICODE
  0x55, // U SHORT_BINSTRING
  0x54, // T BINSTRING
  0x8c, // SHORT_BINUNICODE
  0x93, // STACK_GLOBAL
  0x95, // FRAME
  0x71, // q BINPUT
  0x4b, // K BININT1
  0x4a, // J BININT
  0x4d, // M BININT2
  0x4e, // N NONE
  0x88, // NEWTRUE
  0x89, // NEWFALSE
  0x43, // C SHORT_BINBYTES
  0x42, // B BINBYTES
  0x8a, // LONG1
]);

export function findPickleSignature(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const view = bytes.subarray(start, end);
  let i = view.indexOf(0x80);
  while (i >= 0 && i + 2 < view.length) {
    const proto = view[i + 1];
    if (proto >= 2 && proto <= 5 && openers.has(view[i + 2])) return start + i;
    i = view.indexOf(0x80, i + 1);
  }
  return -1;
}
