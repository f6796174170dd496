/**
 * Deterministic stand-in for what the origin's curriculum generator asked a model
 * for: the same subject and grade always give the same outline, with no network.
 */

export interface Unit {
  number: number;
  title: string;
  weeks: number;
  objectives: string[];
  activity: string;
  assessment: string;
}

export interface Outline {
  subject: string;
  grade: number;
  title: string;
  units: Unit[];
}

/** Topics from easiest to hardest; a grade takes a window of them. */
const TOPICS: Record<string, readonly string[]> = {
  math: [
    'Counting and Place Value',
    'Addition and Subtraction',
    'Measurement and Data',
    'Shapes and Their Attributes',
    'Multiplication',
    'Division',
    'Fractions',
    'Decimals',
    'Area and Perimeter',
    'Ratios and Proportions',
    'Negative Numbers',
    'Expressions and Equations',
    'Geometry and Angles',
    'Statistics and Probability',
    'Linear Functions',
    'Quadratic Functions',
    'Trigonometry',
    'Calculus Readiness',
  ],
  science: [
    'Living and Non-living Things',
    'Weather and Seasons',
    'Plants and Animals',
    'Matter and Its Properties',
    'Forces and Motion',
    "Earth's Surface",
    'Ecosystems',
    'Energy Transfer',
    'The Solar System',
    'Cells',
    'Chemical Reactions',
    'Genetics and Heredity',
    'Waves and Light',
    'Electricity and Magnetism',
    'Evolution',
    'Climate Systems',
    'Atomic Structure',
    'Thermodynamics',
  ],
  history: [
    'Families and Communities',
    'Holidays and Traditions',
    'Maps and Places',
    'Early Civilizations',
    'Ancient Egypt',
    'Ancient Greece and Rome',
    'The Middle Ages',
    'The Age of Exploration',
    'Colonial Settlements',
    'Revolutions',
    'The Industrial Revolution',
    'Immigration and Cities',
    'World War I',
    'The Great Depression',
    'World War II',
    'The Cold War',
    'Civil Rights Movements',
    'Globalization',
  ],
  english: [
    'Phonics and Sounds',
    'Sight Words',
    'Storytelling',
    'Fables and Folktales',
    'Paragraph Writing',
    'Poetry',
    'Informational Texts',
    'Narrative Writing',
    'Figurative Language',
    'Persuasive Writing',
    'Research Skills',
    'The Novel',
    'Drama and Shakespeare',
    'Rhetoric',
    'Literary Analysis',
    'The Essay',
  ],
};

const ALIASES: Record<string, string> = {
  maths: 'math',
  mathematics: 'math',
  ela: 'english',
  'language arts': 'english',
  literature: 'english',
  'social studies': 'history',
};

const GENERIC = [
  'Foundations of {s}',
  'Key Vocabulary in {s}',
  'Tools and Methods of {s}',
  '{s} in Everyday Life',
  'Great Ideas in {s}',
  'Patterns and Connections in {s}',
  'Investigating {s}',
  'Debates in {s}',
  '{s} Projects',
  'The Future of {s}',
];

/** One objective of each kind (understand, apply, connect); `{t}` is the unit's title. */
const OBJECTIVES = [
  [
    'Explain the key ideas of {t}.',
    'Describe the main concepts of {t}.',
    'Summarize what matters most in {t}.',
  ],
  [
    'Apply {t} to a real-world problem.',
    'Use {t} in a hands-on task.',
    'Model a familiar situation with {t}.',
  ],
  [
    'Connect {t} to earlier units.',
    'Compare {t} with what came before.',
    'Ask and answer questions about {t}.',
  ],
] as const;
const ACTIVITIES = [
  'Small-group stations exploring',
  'A guided project on',
  'A gallery walk about',
  'Pair discussions and a journal entry on',
  'A hands-on investigation of',
  'A class debate about',
];
const ASSESSMENTS = [
  'exit ticket',
  'short quiz',
  'project rubric',
  'oral presentation',
  'portfolio entry',
  'unit test',
];

/** FNV-1a, 32 bits: a stable hash so the same input always gives the same outline. */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function titleCase(text: string): string {
  return text.replace(/\b\p{L}/gu, (c) => c.toUpperCase());
}

function topicsFor(subject: string): readonly string[] {
  const key = subject.trim().toLowerCase();
  const known = TOPICS[ALIASES[key] ?? key];
  if (known) return known;
  const name = titleCase(subject.trim());
  return GENERIC.map((t) => t.replace('{s}', name));
}

/** How many units the outline has: 6 to 8, fixed by subject and grade. */
export function unitCount(subject: string, grade: number): number {
  return 6 + (hash(`${subject.toLowerCase()}|${grade}|count`) % 3);
}

/** Unit `index` (0-based) of the outline: the "expensive" step a model call stood for. */
export function buildUnit(subject: string, grade: number, index: number): Unit {
  const topics = topicsFor(subject);
  const count = unitCount(subject, grade);
  // Grade 1 starts at the first topic, grade 12 ends at the last; windows overlap.
  const start = Math.max(0, Math.round(((grade - 1) * (topics.length - count)) / 11));
  const title = topics[(start + index) % topics.length]!;
  const h = hash(`${subject.toLowerCase()}|${grade}|${index}`);
  return {
    number: index + 1,
    title,
    weeks: 1 + (h % 3),
    objectives: OBJECTIVES.map((choices, k) =>
      choices[(h >>> (k * 3)) % choices.length]!.replace('{t}', title),
    ),
    activity: `${ACTIVITIES[(h >>> 9) % ACTIVITIES.length]} ${title}.`,
    assessment: titleCase(ASSESSMENTS[(h >>> 12) % ASSESSMENTS.length]!),
  };
}

/** Fake but stable "model usage" for one unit. */
export function unitUsage(
  subject: string,
  grade: number,
  index: number,
): { tokens: number; costUsd: number } {
  const tokens = 400 + (hash(`${subject.toLowerCase()}|${grade}|${index}|tokens`) % 900);
  // A made-up price of $3 per million tokens, rounded to a millionth of a dollar.
  return { tokens, costUsd: Math.round(tokens * 3) / 1_000_000 };
}

export function outlineTitle(subject: string, grade: number): string {
  return `Grade ${grade} ${titleCase(subject.trim())}`;
}

export function toMarkdown(outline: Outline): string {
  const lines = [`# ${outline.title}`, '', `${outline.units.length} units.`, ''];
  for (const u of outline.units) {
    lines.push(
      `## Unit ${u.number}: ${u.title}`,
      '',
      `*${u.weeks} week${u.weeks === 1 ? '' : 's'}*`,
      '',
    );
    lines.push('Objectives:', '', ...u.objectives.map((o) => `- ${o}`), '');
    lines.push(`Activity: ${u.activity}`, '', `Assessment: ${u.assessment}`, '');
  }
  return lines.join('\n');
}
