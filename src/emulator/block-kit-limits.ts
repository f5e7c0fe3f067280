/**
 * Block Kit limits as Slack enforces them, as a pure function so tests (and the renderers' own tests) can check
 * a payload without a server.
 *
 * Problems are phrased the way Slack phrases them in `response_metadata.messages` (without the `[ERROR] ` prefix),
 * e.g. `must be less than 3001 characters [json-pointer:/blocks/0/text/text]`.
 *
 * @example
 *   validateBlocks([{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }])
 *   // → ['must be less than 151 characters [json-pointer:/blocks/0/text/text]']
 */

/** Limits from Slack's Block Kit reference (api.slack.com/reference/block-kit). */
export const BLOCK_KIT_LIMITS = {
  messageBlocks: 50,
  modalBlocks: 100,
  messageText: 40_000,
  attachments: 100,
  blockId: 255,
  actionId: 255,
  sectionText: 3000,
  sectionFields: 10,
  sectionFieldText: 2000,
  headerText: 150,
  actionsElements: 25,
  contextElements: 10,
  buttonText: 75,
  buttonValue: 2000,
  url: 3000,
  altText: 2000,
  imageTitle: 2000,
  inputLabel: 2000,
  inputHint: 2000,
  placeholder: 150,
  optionText: 75,
  optionValue: 150,
  optionDescription: 75,
  selectOptions: 100,
  checkboxOptions: 10,
  overflowOptionsMin: 2,
  overflowOptionsMax: 5,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  markdownBlockText: 12_000,
  modalTitle: 24,
  modalButton: 24,
  privateMetadata: 3000,
  callbackId: 255,
} as const;

export type BlockSurface = 'message' | 'modal' | 'home';

const BLOCK_TYPES = new Set([
  'section',
  'header',
  'actions',
  'context',
  'divider',
  'image',
  'input',
  'rich_text',
  'markdown',
  'file',
  'video',
  'call',
  'context_actions',
  'table',
]);

type Problems = string[];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function at(pointer: string): string {
  return `[json-pointer:${pointer}]`;
}

function maxLen(problems: Problems, value: unknown, max: number, pointer: string): void {
  if (typeof value === 'string' && value.length > max) {
    problems.push(`must be less than ${max + 1} characters ${at(pointer)}`);
  }
}

function maxItems(problems: Problems, value: unknown, max: number, pointer: string): void {
  if (Array.isArray(value) && value.length > max) {
    problems.push(`no more than ${max} items allowed ${at(pointer)}`);
  }
}

function required(problems: Problems, obj: Record<string, unknown>, field: string, pointer: string): boolean {
  if (obj[field] === undefined || obj[field] === null) {
    problems.push(`missing required field: ${field} ${at(pointer)}`);
    return false;
  }
  return true;
}

/** A text composition object: `{ type: 'plain_text' | 'mrkdwn', text }`. */
function checkText(problems: Problems, value: unknown, pointer: string, max: number, opts: { plainOnly?: boolean } = {}): void {
  if (!isRecord(value)) {
    problems.push(`must be a text object ${at(pointer)}`);
    return;
  }
  const allowed = opts.plainOnly ? ['plain_text'] : ['plain_text', 'mrkdwn'];
  if (typeof value.type !== 'string' || !allowed.includes(value.type)) {
    problems.push(`must be one of: ${allowed.join(', ')} ${at(`${pointer}/type`)}`);
  }
  if (typeof value.text !== 'string') {
    problems.push(`missing required field: text ${at(`${pointer}/text`)}`);
    return;
  }
  if (value.text.length === 0) problems.push(`must be more than 0 characters ${at(`${pointer}/text`)}`);
  maxLen(problems, value.text, max, `${pointer}/text`);
}

function checkOption(problems: Problems, option: unknown, pointer: string): void {
  if (!isRecord(option)) {
    problems.push(`must be an object ${at(pointer)}`);
    return;
  }
  if (required(problems, option, 'text', pointer)) {
    checkText(problems, option.text, `${pointer}/text`, BLOCK_KIT_LIMITS.optionText);
  }
  if (required(problems, option, 'value', pointer)) maxLen(problems, option.value, BLOCK_KIT_LIMITS.optionValue, `${pointer}/value`);
  if (option.description !== undefined) {
    checkText(problems, option.description, `${pointer}/description`, BLOCK_KIT_LIMITS.optionDescription);
  }
  maxLen(problems, option.url, BLOCK_KIT_LIMITS.url, `${pointer}/url`);
}

function checkOptions(problems: Problems, options: unknown, pointer: string, max: number, min = 1): void {
  if (options === undefined) return;
  if (!Array.isArray(options)) {
    problems.push(`must be an array ${at(pointer)}`);
    return;
  }
  if (options.length < min) problems.push(`must contain at least ${min} items ${at(pointer)}`);
  maxItems(problems, options, max, pointer);
  options.forEach((o, i) => checkOption(problems, o, `${pointer}/${i}`));
}

function checkConfirm(problems: Problems, confirm: unknown, pointer: string): void {
  if (confirm === undefined) return;
  if (!isRecord(confirm)) {
    problems.push(`must be an object ${at(pointer)}`);
    return;
  }
  for (const [field, max, plainOnly] of [
    ['title', BLOCK_KIT_LIMITS.confirmTitle, true],
    ['text', BLOCK_KIT_LIMITS.confirmText, false],
    ['confirm', BLOCK_KIT_LIMITS.confirmButton, true],
    ['deny', BLOCK_KIT_LIMITS.confirmButton, true],
  ] as const) {
    if (required(problems, confirm, field, pointer)) {
      checkText(problems, confirm[field], `${pointer}/${field}`, max, { plainOnly });
    }
  }
}

/** Interactive and non-interactive elements (accessories, actions/context/input elements). */
function checkElement(problems: Problems, element: unknown, pointer: string): void {
  if (!isRecord(element)) {
    problems.push(`must be an object ${at(pointer)}`);
    return;
  }
  if (typeof element.type !== 'string') {
    problems.push(`missing required field: type ${at(`${pointer}/type`)}`);
    return;
  }
  maxLen(problems, element.action_id, BLOCK_KIT_LIMITS.actionId, `${pointer}/action_id`);
  checkConfirm(problems, element.confirm, `${pointer}/confirm`);
  if (element.placeholder !== undefined) {
    checkText(problems, element.placeholder, `${pointer}/placeholder`, BLOCK_KIT_LIMITS.placeholder, { plainOnly: true });
  }
  switch (element.type) {
    case 'button':
      if (required(problems, element, 'text', pointer)) {
        checkText(problems, element.text, `${pointer}/text`, BLOCK_KIT_LIMITS.buttonText, { plainOnly: true });
      }
      maxLen(problems, element.value, BLOCK_KIT_LIMITS.buttonValue, `${pointer}/value`);
      maxLen(problems, element.url, BLOCK_KIT_LIMITS.url, `${pointer}/url`);
      if (element.style !== undefined && element.style !== 'primary' && element.style !== 'danger') {
        problems.push(`must be one of: primary, danger ${at(`${pointer}/style`)}`);
      }
      break;
    case 'static_select':
    case 'multi_static_select':
      if (element.options === undefined && element.option_groups === undefined) {
        problems.push(`missing required field: options ${at(pointer)}`);
      }
      checkOptions(problems, element.options, `${pointer}/options`, BLOCK_KIT_LIMITS.selectOptions);
      maxItems(problems, element.option_groups, BLOCK_KIT_LIMITS.selectOptions, `${pointer}/option_groups`);
      break;
    case 'overflow':
      if (required(problems, element, 'options', pointer)) {
        checkOptions(
          problems,
          element.options,
          `${pointer}/options`,
          BLOCK_KIT_LIMITS.overflowOptionsMax,
          BLOCK_KIT_LIMITS.overflowOptionsMin,
        );
      }
      break;
    case 'checkboxes':
    case 'radio_buttons':
      if (required(problems, element, 'options', pointer)) {
        checkOptions(problems, element.options, `${pointer}/options`, BLOCK_KIT_LIMITS.checkboxOptions);
      }
      break;
    case 'image':
      if (required(problems, element, 'alt_text', pointer))
        maxLen(problems, element.alt_text, BLOCK_KIT_LIMITS.altText, `${pointer}/alt_text`);
      if (element.image_url === undefined && element.slack_file === undefined) {
        problems.push(`missing required field: image_url ${at(pointer)}`);
      }
      maxLen(problems, element.image_url, BLOCK_KIT_LIMITS.url, `${pointer}/image_url`);
      break;
    case 'plain_text':
    case 'mrkdwn':
      // text objects are valid context elements
      checkText(problems, element, pointer, BLOCK_KIT_LIMITS.sectionText);
      break;
    default:
      // other elements (datepicker, users_select, plain_text_input, …): the generic checks above are enough
      break;
  }
}

function checkBlock(problems: Problems, block: unknown, pointer: string): void {
  if (!isRecord(block)) {
    problems.push(`must be an object ${at(pointer)}`);
    return;
  }
  if (typeof block.type !== 'string') {
    problems.push(`missing required field: type ${at(`${pointer}/type`)}`);
    return;
  }
  if (!BLOCK_TYPES.has(block.type)) {
    problems.push(`unsupported block type: ${block.type} ${at(`${pointer}/type`)}`);
    return;
  }
  maxLen(problems, block.block_id, BLOCK_KIT_LIMITS.blockId, `${pointer}/block_id`);
  switch (block.type) {
    case 'section':
      if (block.text === undefined && block.fields === undefined) {
        problems.push(`must provide either text or fields ${at(pointer)}`);
      }
      if (block.text !== undefined) checkText(problems, block.text, `${pointer}/text`, BLOCK_KIT_LIMITS.sectionText);
      if (block.fields !== undefined) {
        if (!Array.isArray(block.fields)) {
          problems.push(`must be an array ${at(`${pointer}/fields`)}`);
        } else {
          maxItems(problems, block.fields, BLOCK_KIT_LIMITS.sectionFields, `${pointer}/fields`);
          block.fields.forEach((f, i) => checkText(problems, f, `${pointer}/fields/${i}`, BLOCK_KIT_LIMITS.sectionFieldText));
        }
      }
      if (block.accessory !== undefined) checkElement(problems, block.accessory, `${pointer}/accessory`);
      break;
    case 'header':
      if (required(problems, block, 'text', pointer)) {
        checkText(problems, block.text, `${pointer}/text`, BLOCK_KIT_LIMITS.headerText, { plainOnly: true });
      }
      break;
    case 'actions':
    case 'context': {
      const max = block.type === 'actions' ? BLOCK_KIT_LIMITS.actionsElements : BLOCK_KIT_LIMITS.contextElements;
      if (!Array.isArray(block.elements)) {
        problems.push(`missing required field: elements ${at(`${pointer}/elements`)}`);
        break;
      }
      if (block.elements.length === 0) problems.push(`must contain at least 1 items ${at(`${pointer}/elements`)}`);
      maxItems(problems, block.elements, max, `${pointer}/elements`);
      block.elements.forEach((e, i) => checkElement(problems, e, `${pointer}/elements/${i}`));
      break;
    }
    case 'image':
      if (required(problems, block, 'alt_text', pointer)) maxLen(problems, block.alt_text, BLOCK_KIT_LIMITS.altText, `${pointer}/alt_text`);
      maxLen(problems, block.image_url, BLOCK_KIT_LIMITS.url, `${pointer}/image_url`);
      if (block.title !== undefined) checkText(problems, block.title, `${pointer}/title`, BLOCK_KIT_LIMITS.imageTitle, { plainOnly: true });
      break;
    case 'input':
      if (required(problems, block, 'label', pointer)) {
        checkText(problems, block.label, `${pointer}/label`, BLOCK_KIT_LIMITS.inputLabel, { plainOnly: true });
      }
      if (block.hint !== undefined) checkText(problems, block.hint, `${pointer}/hint`, BLOCK_KIT_LIMITS.inputHint, { plainOnly: true });
      if (required(problems, block, 'element', pointer)) checkElement(problems, block.element, `${pointer}/element`);
      break;
    case 'markdown':
      if (typeof block.text !== 'string') problems.push(`missing required field: text ${at(`${pointer}/text`)}`);
      maxLen(problems, block.text, BLOCK_KIT_LIMITS.markdownBlockText, `${pointer}/text`);
      break;
    default:
      break;
  }
}

/**
 * Check a `blocks` array against Block Kit's limits. Returns the list of problems (empty when valid).
 * `surface` picks the block count limit (50 for messages, 100 for modals and App Home); `basePointer` prefixes the json-pointers (e.g.
 * `/view/blocks`).
 */
export function validateBlocks(blocks: unknown, surface: BlockSurface = 'message', basePointer = '/blocks'): string[] {
  const problems: Problems = [];
  if (!Array.isArray(blocks)) {
    problems.push(`must be an array ${at(basePointer)}`);
    return problems;
  }
  const max = surface === 'message' ? BLOCK_KIT_LIMITS.messageBlocks : BLOCK_KIT_LIMITS.modalBlocks;
  maxItems(problems, blocks, max, basePointer);
  blocks.forEach((b, i) => checkBlock(problems, b, `${basePointer}/${i}`));
  return problems;
}

/** Legacy attachments: count limit and the blocks inside each attachment. */
export function validateAttachments(attachments: unknown): string[] {
  const problems: Problems = [];
  if (!Array.isArray(attachments)) {
    problems.push(`must be an array ${at('/attachments')}`);
    return problems;
  }
  maxItems(problems, attachments, BLOCK_KIT_LIMITS.attachments, '/attachments');
  attachments.forEach((a, i) => {
    if (isRecord(a) && a.blocks !== undefined) {
      problems.push(...validateBlocks(a.blocks, 'message', `/attachments/${i}/blocks`));
    }
  });
  return problems;
}

/**
 * Check a view (`views.open` / `views.update` / `views.push` / `views.publish`). Slack answers `invalid_arguments`
 * with these problems in `response_metadata.messages`.
 */
export function validateView(view: unknown): string[] {
  const problems: Problems = [];
  if (!isRecord(view)) return [`must be an object ${at('/view')}`];
  if (view.type !== 'modal' && view.type !== 'home') {
    problems.push(`must be one of: modal, home ${at('/view/type')}`);
    return problems;
  }
  if (view.type === 'modal') {
    if (required(problems, view, 'title', '/view')) {
      checkText(problems, view.title, '/view/title', BLOCK_KIT_LIMITS.modalTitle, { plainOnly: true });
    }
    for (const field of ['submit', 'close'] as const) {
      if (view[field] !== undefined) checkText(problems, view[field], `/view/${field}`, BLOCK_KIT_LIMITS.modalButton, { plainOnly: true });
    }
    const hasInput = Array.isArray(view.blocks) && view.blocks.some((b) => isRecord(b) && b.type === 'input');
    if (hasInput && view.submit === undefined) {
      problems.push(`submit is required when an input block is present ${at('/view/submit')}`);
    }
  }
  maxLen(problems, view.private_metadata, BLOCK_KIT_LIMITS.privateMetadata, '/view/private_metadata');
  maxLen(problems, view.callback_id, BLOCK_KIT_LIMITS.callbackId, '/view/callback_id');
  maxLen(problems, view.external_id, BLOCK_KIT_LIMITS.callbackId, '/view/external_id');
  if (required(problems, view, 'blocks', '/view')) {
    problems.push(...validateBlocks(view.blocks, view.type, '/view/blocks'));
  }
  return problems;
}
