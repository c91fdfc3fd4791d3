/**
 * Pattern detectors behind the quality checks. Each returns what it found so a
 * check can name it; none of them decides pass or fail.
 */

export interface Finding {
  kind: string;
  /** Safe to show an operator: personal data is masked. */
  shown: string;
}

// ---------------------------------------------------------------- placeholders

const PLACEHOLDER_PATTERNS: RegExp[] = [
  /\{\{[^{}]*\}\}/g, // {{first_name}}
  /\$\{[^{}]*\}/g, // ${name}
  /(?<!\{)\{[A-Za-z_][A-Za-z0-9_.]*\}(?!\})/g, // {first_name}
  /%[A-Za-z][A-Za-z0-9_]*%/g, // %NAME%
  // [First Name], [Company], [insert link]; a markdown link "[text](url)" is not one.
  /\[[A-Z][A-Za-z0-9 _-]{0,40}\](?!\()/g,
  /\[[^\]]{0,40}\b(?:name|company|link|url|date|insert|product)\b[^\]]{0,40}\](?!\()/gi,
  /<\s*(?:first|last|full)?_?name\s*>/gi, // <first_name>
];

export function findPlaceholders(text: string): string[] {
  const found = new Set<string>();
  for (const pattern of PLACEHOLDER_PATTERNS) for (const m of text.matchAll(pattern)) found.add(m[0]);
  return [...found];
}

// ---------------------------------------------------------------- personal data and secrets

const EMAIL = /[A-Z0-9._%+-]+@[A-Z0-9-]+(?:\.[A-Z0-9-]+)*\.[A-Z]{2,}/gi;
const SECRET_PATTERNS: RegExp[] = [
  /\b(?:sk|rk|pk)-[A-Za-z0-9_-]{16,}/g, // OpenAI-style keys
  /\b(?:sk|pk|rk|rt)_(?:live|test)_[A-Za-z0-9]{6,}/g, // Stripe-style and Retivo keys
  /\b(?:ghp|gho|ghs|github_pat)_[A-Za-z0-9_]{20,}/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/g, // JWT
  /\bBearer\s+[A-Za-z0-9._~+/-]{16,}=*/g,
];
/** A run of digits with phone or card separators; classified by digit count below. */
const DIGIT_RUN = /\+?\(?\d[\d\s().-]{7,}\d/g;

function mask(value: string): string {
  if (value.length <= 6) return "***";
  return `${value.slice(0, 3)}***${value.slice(-2)}`;
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export function findPersonalData(text: string): Finding[] {
  const found: Finding[] = [];
  for (const m of text.matchAll(EMAIL)) found.push({ kind: "an email address", shown: mask(m[0]) });
  for (const pattern of SECRET_PATTERNS) {
    for (const m of text.matchAll(pattern)) found.push({ kind: "an API key or token", shown: mask(m[0]) });
  }
  for (const m of text.matchAll(DIGIT_RUN)) {
    const digits = m[0].replace(/\D/g, "");
    if (digits.length >= 13 && digits.length <= 19 && luhnValid(digits)) {
      found.push({ kind: "a card number", shown: mask(digits) });
    } else if (digits.length >= 9 && digits.length <= 15) {
      found.push({ kind: "a phone number", shown: mask(digits) });
    }
  }
  return found;
}

/** Removes anything secret-looking from text we are about to store or log (e.g. an upstream error message). */
export function redactSecrets(text: string): string {
  let out = text;
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, (m) => mask(m));
  return out;
}

// ---------------------------------------------------------------- commercial terms

/** A price, percentage, promo code or free period, normalised so "20 percent" equals "20%". */
export function findCommercialTokens(text: string): string[] {
  const tokens: string[] = [];
  const num = (s: string) => String(Number(s.replace(/,/g, "")));
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)\s*(?:%|percent\b|per cent\b)/gi)) tokens.push(`percent:${num(m[1]!)}`);
  for (const m of text.matchAll(/[$€£]\s?(\d[\d,]*(?:\.\d+)?)/g)) tokens.push(`price:${num(m[1]!)}`);
  for (const m of text.matchAll(/\b(\d[\d,]*(?:\.\d+)?)\s?(?:USD|EUR|GBP|dollars?|euros?|pounds?)\b/gi)) {
    tokens.push(`price:${num(m[1]!)}`);
  }
  for (const m of text.matchAll(/\b(?:[Cc]ode|CODE|[Cc]oupon|[Pp]romo)\b\s*:?\s*["'“‘]?([A-Z0-9][A-Z0-9_-]{2,})/g)) {
    tokens.push(`code:${m[1]}`);
  }
  // Capitals mixed with digits (SAVE20, WELCOME10) read as a promo code even without "code".
  for (const m of text.matchAll(/\b(?=[A-Z0-9]*\d)[A-Z][A-Z0-9]{3,}\b/g)) tokens.push(`code:${m[0]}`);
  for (const m of text.matchAll(/\b(\d+|an?|one|two|three|six|twelve)\s+(?:extra\s+|free\s+|bonus\s+)?(month|week)s?\s+(?:free|on us|at no (?:extra )?cost)\b/gi)) {
    tokens.push(`free:${wordNumber(m[1]!)}:${m[2]!.toLowerCase()}`);
  }
  for (const m of text.matchAll(/\bfree\s+(?:for\s+)?(\d+|an?|one|two|three|six|twelve)?\s*(month|week)s?\b/gi)) {
    tokens.push(`free:${wordNumber(m[1] ?? "1")}:${m[2]!.toLowerCase()}`);
  }
  return [...new Set(tokens)];
}

const WORD_NUMBERS: Record<string, number> = { a: 1, an: 1, one: 1, two: 2, three: 3, six: 6, twelve: 12 };
function wordNumber(word: string): number {
  return WORD_NUMBERS[word.toLowerCase()] ?? Number(word);
}

/** Words that promise something commercial even without a number. */
const OFFER_WORDS =
  /\b(?:discount(?:ed|s)?|coupons?|vouchers?|promo(?:tion(?:al)?)?(?: code)?|rebates?|cash ?back|half[- ](?:price|off)|money[- ]back|free (?:upgrade|trial|month|week|seat|plan)s?|on the house)\b/gi;

export function findOfferWords(text: string): string[] {
  return [...new Set([...text.matchAll(OFFER_WORDS)].map((m) => m[0].toLowerCase()))];
}

/** Any commercial promise at all: a price, percentage, promo code, free period or discount word. */
export function mentionsOffer(text: string): boolean {
  return findCommercialTokens(text).length > 0 || findOfferWords(text).length > 0;
}

// ---------------------------------------------------------------- numbers

export interface CitedNumber {
  text: string;
  value: number;
  decimals: number;
}

/** Standalone numbers: "0.42", "42%", "1,200"; not the digits inside ids like "v2" or "int_a1b2". */
const NUMBER = /(?<![\p{L}\p{N}_.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?![\p{L}\p{N}_])/gu;

export function findNumbers(text: string): CitedNumber[] {
  return [...text.matchAll(NUMBER)].map((m) => {
    const decimals = m[2]?.length ?? 0;
    return { text: m[0], value: Number(`${m[1]!.replace(/,/g, "")}.${m[2] ?? "0"}`), decimals };
  });
}

// ---------------------------------------------------------------- links

export interface FoundLink {
  text: string;
  /** Lower-case host; null for schemes that carry code or data instead of a host (javascript:, data:). */
  host: string | null;
}

/** Top-level domains common enough that a bare "name.tld" in a message reads as a link. */
const BARE_TLDS =
  "com|net|org|io|co|ai|app|dev|me|info|biz|xyz|ly|gg|so|to|sh|cc|tv|us|uk|de|fr|nl|eu|es|it|ru|cn|in|jp|br|au|ca|ch|se|link|click|site|online|shop|store|top|live|page|example|xn--[a-z0-9-]+";
const SCHEME_URL = /\b[a-z][a-z0-9+.-]{1,15}:\/\/[^\s<>"'`]+/giu;
const HOSTLESS_SCHEME = /\b(?:javascript|data|vbscript|file):[^\s<>"'`]*/giu;
const WWW_HOST = /\bwww\.[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+[^\s<>"'`]*/giu;
const LABEL = "[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]{0,61}[\\p{L}\\p{N}])?";
const BARE_DOMAIN = new RegExp(`(?<![\\p{L}\\p{N}@._-])(?:${LABEL}\\.)+(?:${BARE_TLDS})(?![\\p{L}\\p{N}-])(?:/[^\\s<>"'\`]*)?`, "giu");

/** The lower-case host a link points to, or null when it has none we can read. */
export function hostOf(link: string): string | null {
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(link) ? link : `http://${link}`);
    return url.hostname.replace(/\.$/, "").toLowerCase() || null;
  } catch {
    return null;
  }
}

/**
 * Every link a reader could follow: URLs with a scheme, www. hosts, bare
 * "name.tld/path" domains and code-carrying schemes. Email addresses are the
 * pii check's, so their domains are not counted here.
 */
export function findLinks(text: string): FoundLink[] {
  const found: FoundLink[] = [];
  let rest = text;
  const take = (pattern: RegExp, host: (m: string) => string | null) => {
    rest = rest.replace(pattern, (m) => {
      const trimmed = m.replace(/[.,;:!?)\]}]+$/, "");
      found.push({ text: trimmed, host: host(trimmed) });
      return " ".repeat(m.length);
    });
  };
  // Scheme URLs first: "https://good.example@evil.example" is a link to evil.example, not an email address.
  take(SCHEME_URL, hostOf);
  take(HOSTLESS_SCHEME, () => null);
  rest = rest.replace(EMAIL, (m) => " ".repeat(m.length));
  take(WWW_HOST, hostOf);
  take(BARE_DOMAIN, hostOf);
  return found;
}

/** A listed host allows itself and its subdomains: "lumen.example" allows "help.lumen.example". */
export function hostAllowed(host: string, allowed: readonly string[]): boolean {
  return allowed.some((h) => host === h || host.endsWith(`.${h}`));
}

// ---------------------------------------------------------------- emoji and markup

const PICTOGRAPH = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20E3/u;
/** Typographic symbols Unicode also lists as pictographic; they read as text, not emoji. */
const TEXT_SYMBOLS = new Set(["©", "®", "™"]);
// Made on first use: building a segmenter loads ICU's break rules (about 9 ms), which a server's start need not pay.
let graphemes: Intl.Segmenter | undefined;

/** Emoji as a reader counts them: a family, a flag or a skin-toned hand is one. */
export function findEmoji(text: string): string[] {
  const found: string[] = [];
  graphemes ??= new Intl.Segmenter("en", { granularity: "grapheme" });
  for (const { segment } of graphemes.segment(text)) {
    if (PICTOGRAPH.test(segment) && !TEXT_SYMBOLS.has(segment)) found.push(segment);
  }
  return found;
}

const MARKUP_PATTERNS: RegExp[] = [
  /<\/?[a-z][a-z0-9-]*(?:\s[^<>]*)?\/?>/gi, // <b>, </a>, <img src=…>, <script>
  /<!--[\s\S]*?-->/g,
  /!?\[[^\]\n]*\]\([^)\n]*\)/g, // markdown links and images
];

/** HTML tags, comments and markdown links: message bodies are plain text on every channel. */
export function findMarkup(text: string): string[] {
  const found = new Set<string>();
  for (const pattern of MARKUP_PATTERNS) for (const m of text.matchAll(pattern)) found.add(m[0].slice(0, 40));
  return [...found];
}
