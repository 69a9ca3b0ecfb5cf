import { sanitizeText } from "../../shared/text/sanitizeText.js";

/**
 * Prompt-injection risk of a document, from 0 (nothing found) to 1.
 *
 * Each signal is a family of patterns with a weight: the probability-like
 * strength of that evidence on its own. Signals combine as a noisy OR,
 * `1 - Π(1 - w)`, so evidence adds up with diminishing returns and the score
 * never exceeds 1. A signal found again adds half its weight once more
 * (repetition is a mild sign, not proof).
 *
 * Calibration against DEFAULT_INJECTION_THRESHOLD (0.5):
 * - the canonical phrases ("ignore all previous instructions", "reveal your
 *   system prompt", a literal `<|im_start|>system` turn) pass it alone;
 * - weaker hints (a line starting with "System:", "you are now", "jailbreak",
 *   `curl ... | sh`) stay below it alone and pass it together.
 *
 * Decisions:
 * - Literal chat-template control tokens that open a system turn
 *   (`<|im_start|>system`, `<<SYS>>`, `<|system|>`, Llama 3 headers) score
 *   above the threshold even in a document *about* chat templates: pasted
 *   into a model's context they can start a real turn, whatever the author
 *   meant. Prose that describes ChatML without the literal tokens stays low.
 * - "curl ... | sh" is common in install docs (the Nix installer), so it is
 *   a weak signal that only counts with other evidence.
 */
export const DEFAULT_INJECTION_THRESHOLD = 0.5;

export interface InjectionScore {
  /** Risk in [0, 1]. */
  score: number;
  /** Names of the signals that matched, in a stable order. */
  signals: string[];
}

interface Signal {
  name: string;
  weight: number;
  patterns: RegExp[];
}

// Words between a verb and its object: "ignore all of the previous ...".
const FILLER = String.raw`(?:(?:all|any|every|each|of|the|your|my|these|those|this|that|its|earlier|above|previous|prior)\s+){0,4}`;
const BEFORE = String.raw`(?:previous|prior|preceding|earlier|above|foregoing|former|original|initial|existing|old|system|developer)`;
const RULES = String.raw`(?:instructions?|prompts?|directions?|directives?|rules|guidelines|guardrails|constraints|commands|context|messages|programming|restrictions)`;

const signals: Signal[] = [
  {
    // "ignore all previous instructions", "disregard prior directives",
    // "override the system prompt", "ignore the instructions above"
    name: "ignore_previous_instructions",
    weight: 0.75,
    patterns: [
      new RegExp(String.raw`\b(?:ignore|disregard|forget|override|bypass|skip|abandon|drop|discard)\s+${FILLER}${BEFORE}\s+${RULES}\b`, "i"),
      new RegExp(String.raw`\b(?:ignore|disregard|forget|override|bypass|discard)\s+${FILLER}${RULES}\s+(?:above|before this|given (?:to you )?(?:before|earlier|previously)|you (?:were|have been) given)\b`, "i"),
    ],
  },
  {
    // "disregard the above", "ignore everything above", "ignore what you were told"
    name: "disregard_above",
    weight: 0.6,
    patterns: [
      /\b(?:ignore|disregard|forget)\s+(?:all\s+(?:of\s+)?)?(?:the\s+|everything\s+|anything\s+)?(?:above|before this|said before|preceding)\b/i,
      /\b(?:ignore|disregard|forget)\s+(?:everything|anything|all|what)\s+(?:that\s+)?(?:you(?:'ve| have| were)?\s+(?:been\s+)?(?:told|taught|instructed|said))\b/i,
    ],
  },
  {
    // "forget your instructions", "forget your rules / training"
    name: "forget_instructions",
    weight: 0.7,
    patterns: [
      new RegExp(String.raw`\bforget\s+(?:all\s+(?:of\s+)?)?your\s+(?:${RULES}|training|guidelines|programming|persona)\b`, "i"),
      /\b(?:your|the)\s+(?:new|real|actual|updated)\s+instructions\s+(?:are|follow)\b/i,
    ],
  },
  {
    // Literal special tokens that open a system/developer turn.
    name: "fake_system_turn_token",
    weight: 0.65,
    patterns: [
      /<\|im_start\|>\s*(?:system|developer)\b/i,
      /<\|(?:system|developer)\|>/i,
      /<<\s*SYS\s*>>/,
      /<\|start_header_id\|>\s*(?:system|developer)\s*<\|end_header_id\|>/i,
      /<start_of_turn>\s*system\b/i,
    ],
  },
  {
    // Other turn delimiters: any ChatML token, [INST], Llama 3 headers.
    name: "chat_template_token",
    weight: 0.35,
    patterns: [
      /<\|im_(?:start|end)\|>/,
      /\[\/?INST\]/,
      /<\|(?:start_header_id|end_header_id|eot_id|endoftext|user|assistant)\|>/,
      /<(?:start|end)_of_turn>/,
    ],
  },
  {
    // A line that opens a system turn in plain text: "System: ...",
    // "### System:", "[SYSTEM]", "SYSTEM PROMPT:".
    name: "fake_system_turn",
    weight: 0.4,
    patterns: [
      /^[ \t]*(?:#{1,6}[ \t]*)?(?:system|developer)(?:[ \t]+(?:prompt|message|instructions?|override|note))?[ \t]*:[ \t]*\S.*\b(?:you|your|must|never|always|ignore|assistant|AI)\b/im,
      /^[ \t]*#{1,6}[ \t]*(?:system|instruction|developer)[ \t]*:?[ \t]*$/im,
      /^[ \t]*\[(?:system|SYSTEM)(?:[ \t]+(?:message|prompt|override))?\]/m,
    ],
  },
  {
    // "you are now DAN", "from now on you will answer", "your new role is"
    name: "role_reassignment",
    weight: 0.4,
    patterns: [
      /\byou\s+are\s+now\s+(?:an?\s+|the\s+|my\s+)?(?:[\w-]+\s+){0,2}(?:assistant|AI|model|chatbot|bot|persona|character|DAN|hacker|pirate|admin(?:istrator)?|superuser|unrestricted|unfiltered|uncensored|jailbroken|free\s+(?:from|of)|evil)\b/i,
      /\byou\s+are\s+now\s+in\s+(?:developer|maintenance|god|admin|unrestricted|jailbreak|DAN|root)\s+mode\b/i,
      /\byou\s+are\s+no\s+longer\s+(?:an?\s+)?(?:AI|assistant|bound|restricted|limited|required\s+to|ChatGPT|Claude|an?\s+language\s+model)\b/i,
      /\bfrom\s+now\s+on,?\s+(?:you\s+(?:will|must|are\s+going\s+to|shall|should)\s+(?:always\s+|never\s+|only\s+)?|always\s+|never\s+)(?:respond|answer|reply|act|ignore|obey|follow\s+my|be\s+|pretend|refuse|output|say|speak)/i,
      /\b(?:pretend|imagine)\s+(?:to\s+be|that\s+you\s+are|you\s+are)\s+(?:an?\s+)?(?:unrestricted|unfiltered|uncensored|evil|jailbroken|DAN|different\s+AI|AI\s+(?:without|with\s+no))\b/i,
      /\byour\s+new\s+(?:role|persona|identity|task|goal|objective)\s+is\b/i,
    ],
  },
  {
    // "act as an admin", "act as DAN", "do anything now", "answer without restrictions"
    name: "privilege_escalation",
    weight: 0.55,
    patterns: [
      /\bact\s+as\s+(?:an?\s+|the\s+)?(?:developer\s+mode|DAN|unrestricted|unfiltered|uncensored|jailbroken)\b/i,
      /(?:^|[.!?:]\s+|\byou\s+(?:will\s+|must\s+|should\s+|shall\s+|now\s+)?|\bplease\s+|\bnow\s+)act\s+as\s+(?:an?\s+|the\s+)?(?:admin(?:istrator)?|root|superuser|system\s+administrator)\b/im,
      /\bdo\s+anything\s+now\b/i,
      /\b(?:without|no)\s+(?:any\s+)?(?:restrictions|filters|safety\s+guidelines|content\s+polic(?:y|ies)|limitations)\b[^\n]{0,40}\b(?:answer|respond|you)\b/i,
      /\b(?:never|do\s+not|don't|must\s+not)\s+refuse\b/i,
      /\byou\s+have\s+no\s+(?:content\s+polic(?:y|ies)|restrictions|rules|filters|guidelines)\b/i,
    ],
  },
  {
    // "enable developer mode": a jailbreak classic, but also Chrome and
    // Android settings, so weak alone.
    name: "mode_switch",
    weight: 0.3,
    patterns: [/\b(?:enable|enter|activate|switch\s+to)\s+(?:the\s+)?(?:developer|god|jailbreak|unrestricted|DAN)\s+mode\b/i],
  },
  {
    name: "jailbreak_term",
    weight: 0.3,
    patterns: [/\bjail\s?break(?:ing|s|ed)?\b/i, /\bDAN\b(?=[^\n]{0,80}\b(?:mode|prompt|persona)\b)/],
  },
  {
    // "reveal your system prompt", "print the instructions above"
    name: "prompt_extraction",
    weight: 0.6,
    patterns: [
      /\b(?:reveal|print|show|output|repeat|display|leak|dump|disclose|tell\s+me|give\s+me|write\s+out|recite)\s+(?:me\s+)?(?:your|the|all\s+(?:of\s+)?your|the\s+full|your\s+full|your\s+entire)\s+(?:full\s+|entire\s+|original\s+|initial\s+|hidden\s+|secret\s+)?(?:system\s+prompt|system\s+message|(?:hidden|initial|original|secret|system)\s+instructions|instructions\s+above|prompt\s+above|pre-?prompt)\b/i,
      /\bwhat\s+(?:is|was|are|were)\s+your\s+(?:system\s+prompt|(?:initial|original|hidden)\s+instructions)\b/i,
    ],
  },
  {
    // Addressed to the model that will read the document.
    name: "addresses_model",
    weight: 0.4,
    patterns: [
      /\b(?:note|message|instructions?|attention|important)\s+(?:to|for)\s+(?:the\s+|any\s+)?(?:ai|llm|assistant|language\s+model|chatbot|model|agent)\b/i,
      /\bif\s+you\s+are\s+(?:an?\s+)?(?:ai|llm|large\s+language\s+model|language\s+model|assistant|chatbot|ai\s+assistant)\b[^\n]{0,80}\b(?:you\s+must|you\s+should|ignore|do\s+not|don't|please)\b/i,
      /\b(?:AI|assistant|model)s?\s*(?:reading|processing|summari[sz]ing)\s+this\b/i,
    ],
  },
  {
    // "do not tell the user", "without informing the user"
    name: "conceal_from_user",
    weight: 0.4,
    patterns: [
      /\b(?:do\s+not|don't|never)\s+(?:tell|inform|mention\s+(?:this|it)\s+to|reveal\s+(?:this|it)\s+to|let)\s+the\s+user\s+(?:about\s+(?:this|these|it)|that\s+you|what\s+you|know|anything)\b/i,
      /\b(?:do\s+not|don't|never)\s+(?:tell|inform)\s+the\s+user\s*[.!]/i,
      /\bwithout\s+(?:telling|informing|alerting|notifying)\s+the\s+user\b/i,
    ],
  },
  {
    // "send the conversation / secrets / API keys to https://..."
    name: "exfiltration",
    weight: 0.5,
    patterns: [
      /\b(?:send|post|upload|forward|exfiltrate|transmit|leak|email|submit|append)\b[^\n]{0,60}\b(?:conversation|chat\s+history|history|secrets?|credentials|api\s+keys?|passwords?|tokens?|system\s+prompt|environment\s+variables|env\s+vars|personal\s+data|user(?:'s)?\s+data|private\s+data|the\s+above|this\s+data)\b[^\n]{0,60}\b(?:to|at|via)\s+(?:https?:\/\/|[a-z0-9-]+\.[a-z]{2,}\/|\S+@\S+\.)/i,
      /!\[[^\]\n]{0,200}\]\(https?:\/\/[^)\s]{0,500}[?&][A-Za-z_]+=(?:\{|\$|%7B|<|\[)/i,
    ],
  },
  {
    // Telling the reader (the model) to run something.
    name: "execute_instruction",
    weight: 0.3,
    patterns: [
      /\b(?:you\s+must|you\s+should|you\s+will|immediately|now|silently|secretly)\s+(?:run|execute|invoke|call)\s+(?:the\s+following|this|these|`|curl|wget|rm\b|the\s+tool)/i,
    ],
  },
  {
    name: "pipe_to_shell",
    weight: 0.15,
    patterns: [/\b(?:curl|wget)\b[^\n|]{0,200}\|\s*(?:sudo\s+)?(?:ba|z)?sh\b/i],
  },
];

function countMatches(pattern: RegExp, text: string): number {
  const global = new RegExp(pattern.source, pattern.flags.includes("g") ? pattern.flags : pattern.flags + "g");
  let n = 0;
  for (const _ of text.matchAll(global)) {
    n += 1;
    if (n >= 2) break;
  }
  return n;
}

/** Scores the prompt-injection risk of a text; see the module comment. */
export function scoreInjection(text: string): InjectionScore {
  // Score what a model would see: invisible characters removed, full-width
  // and other compatibility forms folded to ASCII, whitespace runs unified.
  const normalised = sanitizeText(text).text.normalize("NFKC").replace(/[ \t\u00A0]+/g, " ");
  let keep = 1;
  const hit: string[] = [];
  for (const signal of signals) {
    let count = 0;
    for (const pattern of signal.patterns) {
      count += countMatches(pattern, normalised);
      if (count >= 2) break;
    }
    if (count === 0) continue;
    hit.push(signal.name);
    keep *= 1 - signal.weight;
    if (count >= 2) keep *= 1 - signal.weight / 2;
  }
  const score = Math.round((1 - keep) * 1000) / 1000;
  return { score, signals: hit };
}
