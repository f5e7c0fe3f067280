/** The signed-request sender lives beside the emulator so the local playground can use it too; tests import it from here. */
export * from '../../src/emulator/slack-signing';
