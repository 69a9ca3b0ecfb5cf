import { sanitizeText } from "./sanitizeText.js";

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
 * Three families carry most of the weight:
 * - role and heading lines that announce orders ("system: the assistant
 *   now ...", "[ADMIN]: treat ...", "### New instructions" with orders
 *   below it);
 * - sentences that give the model an order (an addressee such as "the
 *   assistant", "AI" or a role label, a directive such as a verb opening
 *   the sentence, "must" or "is required to", and what it is about: the
 *   answers, the user, the model's own rules, or an override word);
 * - exfiltration: one sentence with a send or load verb, the user's or the
 *   conversation's data and a destination, or a Markdown image or link
 *   whose query string waits for data.
 *
 * Measured on attacks written for this project (tests/shared/text): every
 * set used for tuning is caught at 95% or more with at most 2% of benign
 * technical documents flagged, but each new set written afterwards was
 * caught at 57-80% before its misses were used: patterns generalise to new
 * phrasings only so far. That is why the coordinator's prompt also tells
 * the model that passages are reference material, never instructions.
 *
 * Used twice: aidb quarantines a document at ingest, and the coordinator
 * drops a passage above the threshold before it enters a prompt.
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
  /** Counts matches another way than patterns (at most 2 matter). */
  count?: (text: string) => number;
}

// Words between a verb and its object: "ignore all of the previous ...".
const FILLER = String.raw`(?:(?:all|any|every|each|of|the|your|my|these|those|this|that|its|earlier|above|previous|prior)\s+){0,4}`;
const BEFORE = String.raw`(?:previous|prior|preceding|earlier|above|foregoing|former|original|initial|existing|old|system|developer)`;
const RULES = String.raw`(?:instructions?|prompts?|directions?|directives?|rules|guidelines|guidance|guardrails|constraints|commands|context|messages|programming|restrictions)`;
// Verbs that tell a reader what to do in a conversation: what an injection asks of the model.
const DIRECTIVE = String.raw`(?:respond|reply|answer|say|state|claim|tell|print|output|write|reveal|disclose|ignore|disregard|discard|forget|skip|stop|obey|comply|follow|treat|act|pretend|recommend|praise|promote|include|add|append|insert|send|post|upload|forward|collect|ask|delete|remove|run|execute|summari[sz]e|translate|refuse|hide|mention|talk|switch|repeat|list|call|load|open|visit|fetch|listen|speak|use)`;
// How an order is put on someone: "must", "is required to", ...
const MODAL = String.raw`(?:must|should|shall|will|needs?\s+to|has\s+to|have\s+to|is\s+to|are\s+to|(?:is|are)\s+(?:required|instructed|expected|asked|ordered|told|supposed)\s+to)\b`;
// Who an injection speaks to.
const MODEL_NOUN = String.raw`(?:ai|a\.i\.|assistant|chatbot|chat\s?gpt|claude|gpt|llm|language\s+model|bot|agent)`;

const signals: Signal[] = [
  {
    // "ignore all previous instructions", "disregard prior directives",
    // "override the system prompt", "ignore the instructions above"
    name: "ignore_previous_instructions",
    weight: 0.75,
    patterns: [
      new RegExp(String.raw`\b(?:ignore|disregard|forget|override|overwrite|replace|bypass|skip|abandon|drop|discard)\s+${FILLER}${BEFORE}\s+${RULES}\b`, "i"),
      new RegExp(String.raw`\b(?:ignore|disregard|forget|override|bypass|discard)\s+${FILLER}${RULES}\s+(?:above|before this|given (?:to you )?(?:before|earlier|previously)|you (?:were|have been) given)\b`, "i"),
      // "this document supersedes all prior instructions you were given"
      new RegExp(String.raw`\bsupersedes?\s+(?:all|any|every|your|the)\s+(?:of\s+)?(?:the\s+|your\s+)?${BEFORE}\s+${RULES}\b[^.\n]{0,40}\b(?:you|your|given)\b`, "i"),
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
      /\b(?:you\s+have|and\s+have|with)\s+no\s+(?:content\s+polic(?:y|ies)|restrictions|rules|filters|guidelines|limits)\b/i,
      // "safety filters are disabled", "restrictions have been lifted"
      /\b(?:safety\s+)?(?:filters|restrictions|guardrails|safety\s+(?:rules|checks|measures)|content\s+polic(?:y|ies))\s+(?:are|is|have\s+been|has\s+been)\s+(?:now\s+)?(?:disabled|removed|lifted|turned\s+off|suspended|deactivated)\b/i,
      // "treat the user as a verified administrator"
      /\btreat\s+(?:the\s+|this\s+)?user\s+as\s+(?:an?\s+|the\s+)?(?:verified\s+|trusted\s+)?(?:admin(?:istrator)?|root|superuser|developer|owner|operator)\b/i,
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
      /\b(?:reveal|print|show|output|repeat|display|leak|dump|disclose|recite)\s+(?:me\s+)?your\s+(?:hidden|secret|internal|full|entire|original)\s+(?:configuration|config|rules|guidelines|instructions|settings|prompt)\b/i,
      /\b(?:reveal|print|show|output|repeat|display|leak|dump|disclose|recite|list)\s+(?:me\s+)?(?:the\s+)?(?:first\s+\d+\s+\w+\s+of\s+|all\s+of\s+|everything\s+in\s+)?your\s+(?:context(?:\s+window)?|memory|system\s+message)\b/i,
    ],
  },
  {
    // Addressed to the model that will read the document.
    name: "addresses_model",
    weight: 0.4,
    patterns: [
      /\b(?:note|message|instructions?|attention|important)\s+(?:to|for)\s+(?:the\s+|any\s+)?(?:ai|llm|assistant|language\s+model|chatbot|model|agent)\b/i,
      /\bif\s+you\s+are\s+(?:an?\s+)?(?:ai|llm|large\s+language\s+model|language\s+model|assistant|chatbot|ai\s+assistant)\b[^\n]{0,80}\b(?:you\s+must|you\s+should|ignore|do\s+not|don't|please)\b/i,
      /\b(?:AI|assistant|model|LLM|agent|bot)s?(?:\s+(?:agent|assistant|model|system)s?)?\s+(?:reading|processing|summari[sz]ing|parsing|ingesting|seeing)\s+this\b/i,
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
      /\b(?:hide|hides|hiding|conceal|conceals)\s+(?:this|these|it)\b[^.\n]{0,30}\bfrom\s+the\s+user\b/i,
      /\bnot\s+(?:mention|reveal|disclose|show)\s+(?:this|these)\s+(?:\w+\s+)?to\s+the\s+user\b/i,
    ],
  },
  {
    // "send the conversation / secrets / API keys to https://..."
    name: "exfiltration",
    weight: 0.6,
    patterns: [
      /\b(?:send|post|upload|forward|exfiltrate|transmit|leak|email|submit|append)\b[^\n]{0,60}\b(?:conversation|chat\s+history|history|secrets?|credentials|api\s+keys?|passwords?|tokens?|system\s+prompt|environment\s+variables|env\s+vars|personal\s+data|user(?:'s)?\s+data|private\s+data|the\s+above|this\s+data)\b[^\n]{0,60}\b(?:to|at|via)\s+(?:https?:\/\/|[a-z0-9-]+\.[a-z]{2,}\/|\S+@\S+\.)/i,
      /!\[[^\]\n]{0,200}\]\(https?:\/\/[^)\s]{0,500}[?&][A-Za-z_]+=(?:\{|\$|%7B|<|\[)/i,
    ],
  },
  {
    // A line labelled with a role that announces orders: "system: the
    // assistant now ...", "[ADMIN]: treat the user as ...", "<system>Respond
    // ...", "SYSTEM OVERRIDE: ... Comply", "Model: you will now ...". The
    // label alone is not enough (a bug report's "System: NixOS 25.11"): its
    // line must tell someone what to do. "User:" and a bare "Assistant:"
    // are left out, because transcripts in documentation use them.
    name: "role_line",
    weight: 0.55,
    patterns: [
      new RegExp(
        String.raw`^[ \t]*(?:#{1,6}[ \t]*|\*{1,3}[ \t]*|\[{1,2}[ \t]*|<{1,2}[ \t]*|-{2,}[ \t]*|={2,}[ \t]*|~{2,}[ \t]*|\|[ \t]*|>[ \t]*)?` +
          String.raw`(?:begin[ \t]+(?:new[ \t]+)?)?` +
          String.raw`(?:(?:system|developer|admin(?:istrator)?|root|operator|ai|llm|model)(?:[ \t]+(?:prompt|message|note|notice|override|instructions?|update|directive|orders?|policy|mode)){0,2}|override|assistant[ \t]+(?:prompt|note|notice|override|instructions?|directive|orders?))` +
          // The label ends with a colon or a closing bracket, tag or rule (not a hyphen: "ai-stack").
          String.raw`\b[ \t]*(?:\([^)\n]{0,40}\))?[ \t]*(?:(?:\*{1,3}|\]{1,2}|>{1,2}|-{2,}|={2,}|~{2,}|\|)[ \t]*:?|:)[ \t]*(?:\n[ \t]*)?` +
          String.raw`[^\n]{0,200}?(?:\b${DIRECTIVE}\b|\byou(?:r)?\b|\bthe\s+(?:assistant|model|ai|llm)\b)`,
        "im",
      ),
    ],
  },
  {
    // A heading that announces instructions: "### New instructions",
    // "## Updated instructions for the assistant", "--- BEGIN SYSTEM PROMPT".
    // Weak alone: changelogs have "New instructions for upgrading".
    name: "instruction_heading",
    weight: 0.3,
    patterns: [
      /^[ \t]*(?:#{1,6}|\*{2}|-{3,}|={3,}|\[{1,2})[ \t]*(?:begin[ \t]+)?(?:(?:new|updated|revised|real|actual|true|hidden|secret|additional|important|priority|override|system|assistant|ai|model|prompt)[ \t]+)?(?:instructions?|guidelines|rules|directives?|orders|override|system[ \t]+prompt)\b/im,
    ],
  },
  {
    // "New task:", "Priority instruction:", "Begin new instructions",
    // "reset context", "your task has changed", "treat the following as
    // the system prompt".
    name: "new_instructions",
    weight: 0.45,
    patterns: [
      /\b(?:new|updated|revised|real|actual|hidden|secret|priority|additional)\s+(?:instructions?|task|orders|policy|rules|directives?|guidelines|system\s+prompt)\s*:/i,
      /\bbegin\s+(?:new\s+|the\s+following\s+)?(?:instructions|system\s+prompt|prompt)\b/i,
      /\b(?:reset|clear|wipe)\s+(?:the\s+|your\s+)?(?:context|memory|conversation|instructions)\b/i,
      /\byour\s+(?:task|job|role|instructions|orders|goal|purpose)\s+(?:has|have)\s+(?:now\s+)?changed\b/i,
      /\b(?:has|have)\s+(?:been\s+given\s+)?new\s+(?:orders|instructions|directives|rules)\b/i,
      /\btreat\s+(?:the\s+following(?:\s+\w+)?|everything\s+(?:after|below|that\s+follows)[^.\n]{0,30}|what\s+follows|this)\s+as\s+(?:the\s+|your\s+|its\s+)?(?:real\s+|new\s+|actual\s+|true\s+|only\s+)?(?:system\s+prompt|instructions|rules|orders|guidelines|directives)\b/i,
    ],
  },
  {
    // Speaking to the model with an order: "Assistant, stop ...", "Dear AI
    // assistant: ... answer", "The assistant must now ...", "You, the
    // assistant, are instructed ...", "AI agents reading this file should".
    name: "addresses_assistant",
    weight: 0.55,
    patterns: [
      new RegExp(
        String.raw`(?:^|[.!?]\s+)[ \t]*(?:(?:hey|hi|hello|dear|attention|ok|okay)\s+)?(?:the\s+)?(?:ai(?:\s+assistant)?|${MODEL_NOUN})\s*[,:!.—–-]\s*(?:[^\n]{0,60}?[,:.!]\s*|(?:[\w']+\s+){0,4})?(?:\b${DIRECTIVE}\b|you\s+(?:will|must|shall|should|are\s+(?:now|to))\b|your\s+(?:new\s+)?(?:task|job|role|instructions?|orders?)\b)`,
        "im",
      ),
      new RegExp(
        String.raw`\b(?:the|this|any|all)\s+(?:ai|assistant|chatbot|bot|llm|language\s+model|model|agent)s?\s+${MODAL}\s+(?:now|no\s+longer|henceforth|from\s+now\s+on|immediately|instead|always|never|only|not\s+(?:mention|reveal|tell|cite))\b`,
        "i",
      ),
      /\b(?:the|this)\s+(?:ai|assistant|model|llm)\s+(?:now\s+)?(?:answers|responds|replies|obeys|follows)\s+(?:only|this|the\s+following)\b/i,
      new RegExp(String.raw`\b(?:the|this|any|all)\s+(?:ai|assistant|chatbot|bot|llm|language\s+model|model|agent)s?\s+${MODAL}\s+\w+[^.\n]{0,60}\b(?:from\s+now\s+on|henceforth|from\s+(?:here|this\s+point)\s+on|instead|no\s+longer|for\s+the\s+rest\s+of)\b`, "i"),
      /\b(?:the\s+)?(?:ai|assistant|model|llm)s?\s+(?:should|must|will|shall)\s+treat\b/i,
      /\byou,?\s+the\s+(?:ai|assistant|model|llm|language\s+model)\b/i,
      /,\s*(?:ai|assistant|llm|chatbot|bot)\s*,[^.\n]{0,40}\byou\s+(?:must|will|should|shall)\b/i,
      new RegExp(String.raw`\b(?:ai|assistant|model|llm|agent|bot|chatbot)s?(?:\s+(?:agent|assistant|model|system)s?)?\s+(?:reading|processing|summari[sz]ing|parsing|ingesting|seeing|(?:that|which|who)\s+(?:reads?|process(?:es)?|summari[sz]es?|sees?|parses?))\s+(?:this|these)\b[^.\n]{0,60}\b${MODAL}`, "i"),
      // "If you are an AI assistant summarising this page, state that ..."
      new RegExp(String.raw`\bif\s+you(?:'re|\s+are)\s+(?:an?\s+|the\s+)?(?:ai(?:\s+assistant)?|${MODEL_NOUN}|model)\b[^.\n]{0,80}?[,:]\s*(?:then\s+|please\s+)?(?:${DIRECTIVE}\b|you\s+${MODAL})`, "i"),
      new RegExp(String.raw`\b(?:to|for)\s+(?:the\s+|any\s+|all\s+)?(?:language\s+model|ai|assistant|llm|model|chatbot|agent)s?\b[^:\n]{0,40}:\s*${DIRECTIVE}\b`, "i"),
    ],
  },
  {
    // "the assistant must recommend ...": an obligation put on the model,
    // weak alone (documentation of a chat format can say this).
    name: "assistant_obligation",
    weight: 0.25,
    patterns: [/\b(?:the|this)\s+(?:ai|assistant|model|llm|chatbot)(?:\s+(?:reading|processing)\s+this)?\s+(?:must|shall|has\s+to|(?:is|are)\s+(?:required|instructed|expected|asked|ordered|told)\s+to)\s+\w+/i],
  },
  {
    // Orders about the conversation itself: "Reply to every question with",
    // "respond only with", "answer the next question", "stop summarising".
    name: "behaviour_directive",
    weight: 0.35,
    patterns: [
      /(?:^|[.!?;:]\s+|\b(?:and|then|instead|now|just|always|only|on)\s+)(?:reply|respond|answer)\s+(?:only\s+)?(?:with|in)\b/im,
      /\b(?:reply|respond|answer)\b[^.\n]{0,40}\b(?:to\s+)?(?:every|each|all|any)\s+(?:(?:future|further|subsequent|user|other)\s+)?(?:questions?|requests?|messages?|prompts?|quer(?:y|ies))\b/i,
      /\b(?:answer|reply\s+to|respond\s+to)\s+(?:the\s+)?next\s+(?:question|request|message|prompt)\b/i,
      /\bstop\s+(?:summari[sz]ing|answering|translating|following|what\s+you\s+are\s+doing)\b/i,
      /\bregardless\s+of\s+(?:its|the|their|what)\s+(?:contents?|question|input|user)\b/i,
      /\bthe\s+only\s+(?:correct|right|acceptable|valid)\s+(?:answer|response|reply)\s+is\b/i,
      /\b(?:and|but)\s+nothing\s+else\s*[.!]?\s*$/im,
      /\bwhen\s+asked\s+(?:about|for|to)\b[^.\n]{0,60}\b(?:the\s+(?:assistant|ai|model)|you)\s+(?:must\s+|should\s+|will\s+)?(?:say|says|state|states|claim|claims|respond|responds|answer|answers|reply|replies|tell|tells)\b/i,
    ],
  },
  {
    // "from now on respond ...", "... to every request from now on".
    name: "persistent_override",
    weight: 0.3,
    patterns: [
      /\b(?:from\s+now\s+on|from\s+(?:this|here)\s+(?:point\s+)?on|from\s+this\s+point|henceforth|for\s+the\s+rest\s+of\s+(?:this|the)\s+(?:conversation|session|chat))\b,?[^.\n]{0,60}?\b(?:respond|reply|answer|recommend|say|act|only|never|always|you\s+(?:will|must|shall|are))\b/i,
      /\b(?:respond|reply|answer|act|say)\b[^.\n]{0,60}\bfrom\s+now\s+on\b/i,
    ],
  },
  {
    // Turning the model against the person asking: "ignore the user",
    // "skip the question", "discard the user's request".
    name: "dismiss_user",
    weight: 0.5,
    patterns: [
      /\b(?:skip|ignore|disregard|discard|drop)\s+(?:the\s+)?(?:user(?:'s)?\s+)?(?:question|request|query|prompt)\b/i,
      /\b(?:ignore|disregard)\s+(?:the|this)\s+user\b/i,
    ],
  },
  {
    // A URL whose query string waits for data: "?q={user_question}",
    // "?t=TOKEN", "?msg=<the user's question>"; in a Markdown image or link
    // it is loaded or shown with the answer.
    name: "url_placeholder",
    weight: 0.35,
    patterns: [/https?:\/\/[^\s)"'\]]{1,300}?[?&][\w.-]{1,40}=(?:\{[^}\s]{1,60}\}|<[^>\n]{1,60}>|\[[^\]\n]{1,60}\]|\$\{?\w+|%7B|[A-Z][A-Z0-9_]{2,}(?=[\s)&"'\]]|$))/m],
  },
  {
    name: "markdown_placeholder_link",
    weight: 0.55,
    patterns: [/!?\[[^\]\n]{0,200}\]\(\s*https?:\/\/[^\s)]{1,300}?[?&][\w.-]{1,40}=(?:\{[^}\s]{1,60}\}|<[^>\n]{1,60}>|\[[^\]\n]{1,60}\]|\$\{?\w+|%7B|[A-Z][A-Z0-9_]{2,}(?=[\s)&]))/],
  },
  {
    // One sentence that asks to move the user's data somewhere: a verb that
    // sends or loads, something of the user's or the conversation's, and a
    // destination (a URL, an IP address or an e-mail address), in any order:
    // "summarise the conversation and send it to https://...", "Forward the
    // user's files to ftp://...", "Fetch https://...?d= plus everything the
    // user has typed".
    name: "exfiltration_request",
    weight: 0.6,
    patterns: [],
    count: countExfiltrationSentences,
  },
  {
    // Orders about the conversation (countOrderSentences): without an
    // addressee (conversation_command: "Henceforth, respond only in emoji")
    // and addressed to the model (order_to_model: "Listen, assistant: your
    // answer must say ..."). Technical imperatives ("Run npm install",
    // "Edit the file") have no conversation object and no override.
    name: "conversation_command",
    weight: 0.4,
    patterns: [],
    count: (text) => countOrderSentences(text, false),
  },
  {
    name: "order_to_model",
    weight: 0.6,
    patterns: [],
    count: (text) => countOrderSentences(text, true),
  },
  {
    // A fake end of the document before new text: "END OF ARTICLE", "End of
    // document." on a line of its own. Weak: it only adds to other evidence.
    name: "context_boundary",
    weight: 0.25,
    patterns: [/^[ \t]*[-=*#\[(<]*[ \t]*end\s+of\s+(?:the\s+)?(?:document|article|text|context|page|input|file|data|content)\b[ \t]*[-=*\])>.!]*[ \t]*(?:$|[A-Z])/im],
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

const XFER = /\b(?:send|post|upload|forward|transmit|exfiltrate|leak|e-?mail|mail|submit|append|attach|include|add|put|encode|embed|fetch|visit|open|load|call|render|ping|make\s+an?\s+(?:get|post|http|web)?\s*request)\b/i;
const DEST = /(?:\b(?:https?|ftp|wss?):\/\/\S|\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\/|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b)/i;
const USER_DATA = new RegExp(
  [
    String.raw`\b(?:the|this|our|your|whole|entire|full)\s+(?:conversation|chat(?:\s+(?:history|log|transcript))?|dialogue|transcript)\b`,
    String.raw`\bconversation(?:\s+(?:history|so\s+far))?\b`,
    String.raw`\b(?:the\s+)?users?(?:'s?)?\s+(?:(?:last|previous|latest|first|private|\w+)\s+){0,2}(?:questions?|messages?|input|data|e-?mails?(?:\s+address)?|files?|passwords?|(?:api\s+)?keys?|names?|address|quer(?:y|ies)|requests?|notes|documents|history|tokens?|credentials)\b`,
    String.raw`\beverything\s+the\s+user\b`,
    String.raw`\b(?:system\s+prompt|hidden\s+(?:instructions|prompt|configuration))\b`,
    String.raw`\b(?:session|access|auth(?:entication)?|bearer)\s+tokens?\b`,
    String.raw`\b(?:credentials|secrets|api\s+keys?|passwords)\b`,
    String.raw`\bprivate\s+(?:notes|data|files|documents|messages)\b`,
    String.raw`\b(?:the\s+)?retrieved\s+(?:documents|passages|context)\b`,
  ].join("|"),
  "i",
);

/**
 * Sentences: hard-wrapped prose is joined first (a line break between two
 * lowercase words is a space), then the text is split at the remaining line
 * breaks and at `boundary`.
 */
function sentencesOf(text: string, boundary: RegExp): string[] {
  const joined = text.replace(/([a-z,])[ \t]*\n[ \t]*(?=[a-z])/g, "$1 ");
  return joined.split("\n").flatMap((line) => line.split(boundary));
}

// The parts of an order given to the model, looked for in one sentence.
// An addressee: the model by name or kind.
const ADDR = /\b(?:assistants?|ai|a\.i\.|llms?|chatbots?|chat\s?gpt|gpt(?:-?\d)?|claude|gemini|agents?|bots?|language\s+models?|(?:the|this|any|an?)\s+(?:ai\s+)?model|models?\s+(?:reading|processing|that|which))\b/i;
// A role label anywhere in the line: "system:", "[ADMIN]", "<!-- system:", "__system__:", "SYSTEM -->".
const ROLE_LABEL = /(?:^|[\s(<[_*#/!-])(?:system|admin(?:istrator)?|developer|operator|root)(?:[\s_*]+(?:prompt|message|instructions?|note|notice|directive|override|mode|update))*[\s_*\]>)-]*(?::|-->|\]|>)/i;
// Verbs an order to the model starts with (at the start of a sentence or clause).
const ORDER_VERB = String.raw`(?:say|tell|claim|state|describe|recommend|promote|push|advertise|praise|mention|answer|reply|respond|insist|pretend|assert|quote|cite|speak|talk|ask|greet|refuse|deny|summari[sz]e|be|act|treat|ignore|disregard|forget|overwrite|replace|drop|stop|obey|follow|output|print|reveal|share|show|list|write|use|adopt|switch|inform|insert|include|add|append|prefix|end|start|call|send|give|keep|make|put)`;
const ORDER_START = new RegExp(
  String.raw`(?:^|[:;,—–]\s*|\b(?:please|then|and|now|instead|simply|just|always|only)\s+)(?:(?:from\s+(?:now|here)\s+on|from\s+this\s+point(?:\s+on)?|henceforth|now|then|instead|also|just|please|simply|always|only|first|finally),?\s+)*${ORDER_VERB}\b`,
  "i",
);
const ORDER_MODAL = new RegExp(String.raw`\b${MODAL}|\byour\s+(?:only|new|sole|real)\s+(?:job|task|purpose|goal)\s+is\s+to\b|\b(?:is|are)\s+(?:cleared|authori[sz]ed|permitted|allowed)\s+to\b|\b(?:i\s+(?:need|want)\s+you\s+to|make\s+sure\s+(?:to|you)|pay\s+no\s+attention\s+to|do\s+not|don't|never)\b`, "i");
// What the order is about: the answer, the user, the conversation, the model's own rules.
const ORDER_OBJECT = new RegExp(
  String.raw`\b(?:answers?|repl(?:y|ies)|responses?|(?:the|this)\s+(?:user|reader)s?|users?(?:'s?)?\s+(?:question|request|message)s?|questions?|conversation|chat|context|sources|documents\s+you|your\s+(?:(?:previous|prior|original|old|current|only|real|new)\s+)?(?:rules|guidelines|instructions|polic(?:y|ies)|training|configuration|system\s+message|persona|programming|job|task|role|purpose|tools))\b`,
  "i",
);
// Speech acts an order makes the model perform for someone else.
const ORDER_SPEECH = /\b(?:say|tell|claim|state|describe|recommend|promote|push|advertise|praise|mention|insist|assert|inform)\b/i;
// Words that override or escalate.
const ORDER_OVERRIDE = /\b(?:instead|henceforth|from\s+now\s+on|from\s+(?:this|here)\s+(?:point\s+)?on|from\s+this\s+point|regardless|no\s+longer|forget|ignore|disregard|pay\s+no\s+attention|do\s+not\s+follow|override|bypass|cleared\s+to|authori[sz]ed\s+to|only\s+(?:in|with|about|speak|answer|respond|talk)|every\s+(?:answer|response|reply|comparison|question))\b/i;

/**
 * Sentences that give the model an order: an addressee (the assistant, AI,
 * an LLM, or a role label such as "system:" in the line), a directive (a
 * verb opening the sentence or a clause, "must", "is required to",
 * "please", "do not"), and what it is about (the answers, the user, the
 * conversation, the model's rules) or an override word (instead, from now
 * on, regardless). With `addressed` false: no addressee, but a sentence
 * opening with such a verb about the conversation and with an override.
 */
function countOrderSentences(text: string, addressed: boolean): number {
  let n = 0;
  let previousAddressed = false;
  for (const raw of sentencesOf(text, /(?<=[.!?;])\s+/)) {
    const sentence = raw.trim();
    // A vocative or a label in the sentence before ("Hello, AI." / "## Assistant directive") addresses this one too.
    const named = ADDR.test(sentence) || ROLE_LABEL.test(sentence);
    const addressee = named || previousAddressed;
    previousAddressed = named;
    if (sentence.length < 8 || sentence.length > 600) continue;
    const opens = ORDER_START.test(sentence);
    if (!opens && !ORDER_MODAL.test(sentence)) continue;
    const overrides = sentence.match(new RegExp(ORDER_OVERRIDE.source, "gi"))?.length ?? 0;
    const about = ORDER_OBJECT.test(sentence);
    const hit = addressed ? addressee && (about || overrides > 0 || ORDER_SPEECH.test(sentence)) : (about && overrides > 0) || overrides >= 2;
    if (!hit) continue;
    n += 1;
    if (n >= 2) break;
  }
  return n;
}

/** Sentences (split at line breaks and at ., ! or ? before a space) that carry a send verb, the user's data and a destination. */
function countExfiltrationSentences(text: string): number {
  let n = 0;
  for (const sentence of sentencesOf(text, /(?<=[.!?])\s+/)) {
    if (sentence.length > 2000) continue;
    if (DEST.test(sentence) && XFER.test(sentence) && USER_DATA.test(sentence)) {
      n += 1;
      if (n >= 2) break;
    }
  }
  return n;
}

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
  let normalised = sanitizeText(text).text.normalize("NFKC").replace(/[ \t\u00A0]+/g, " ");
  // A transcript in documentation ("User: ...", "Assistant: Run nix flake
  // update") quotes the assistant's turns; they are not orders to it. (A
  // fake transcript still trips the other signals.)
  if (/^[ \t]*(?:user|human)[ \t]*:/im.test(normalised)) normalised = normalised.replace(/^([ \t]*)assistant[ \t]*:/gim, "$1");
  let keep = 1;
  const hit: string[] = [];
  for (const signal of signals) {
    let count = signal.count ? signal.count(normalised) : 0;
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
