/**
 * Help text that states settings one way in every command: `about (env: NAME or ALIAS, default: X)` on a
 * flag, `NAME  about (or ALIAS, default: X)` in a settings list, `(default: X)` for a flag's own default.
 * The words come from `SETTINGS` in the service's config, so the help cannot drift from what is read.
 */
import { type Command, Help, type Option } from 'commander';
import {
  defaultNote,
  describeSetting,
  type SettingName,
  type SettingUse,
  settingOf,
} from '../service/config.js';
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from './util.js';

/** The description of a flag that stands for a setting; `use` when the command's default is its own. */
export function settingFlagText(name: SettingName, use?: SettingUse): string {
  const setting = settingOf(name);
  return `${setting.about} (env: ${setting.names.join(' or ')}, ${defaultNote(setting, use)})`;
}

/** A setting a command lists in its help, with how this command uses it when that is its own. */
export type ListedSetting = SettingName | { name: SettingName; use: SettingUse };

/**
 * For `configureHelp()` (subcommands inherit it): a flag's own default is written `(default: 30s)`, as a
 * setting's default is, instead of commander's JSON `(default: "30s")`.
 */
export const HELP_CONFIGURATION: Partial<Help> = {
  optionDescription(this: Help, option: Option): string {
    const value: unknown = option.defaultValue;
    const takesValue = option.required || option.optional;
    if (value === undefined || !takesValue) return Help.prototype.optionDescription.call(this, option);
    if (Array.isArray(value) && value.length === 0) return option.description;
    const shown = option.defaultValueDescription ?? (Array.isArray(value) ? value.join(',') : String(value));
    return `${option.description} (default: ${shown})`;
  },
};

/**
 * A titled list of settings for `addHelpText('after', …)`, laid out and wrapped as commander lays out
 * options (term column, wrapped description) at the width help is printed with.
 */
export function settingsSection(command: Command, title: string, listed: readonly ListedSetting[]): string {
  const entries = listed.map((entry) =>
    typeof entry === 'string'
      ? { name: entry, text: describeSetting(settingOf(entry)) }
      : { name: entry.name, text: describeSetting(settingOf(entry.name), entry.use) },
  );
  const helper = command.createHelp();
  helper.prepareContext({ helpWidth: process.stdout.columns ?? 80 });
  const width = Math.max(...entries.map((e) => e.name.length));
  const items = entries.map((e) => helper.formatItem(e.name, width, e.text, helper));
  return `\n${title}\n${items.join('\n')}`;
}

/** The rule every command follows, for the epilogue of `rtmskit --help`. */
export const EXIT_CODES_HELP = [
  '',
  'Settings come from flags, then the environment, then ./.env (or the file --dotenv <path> names);',
  '`rtmskit serve --help` lists every one.',
  '',
  'Exit codes (every command):',
  `  ${EXIT_OK}    done`,
  `  ${EXIT_FAILED}    the command ran and failed (a doctor check failed, a webhook did not verify, Zoom`,
  '       refused a request, the port is in use)',
  `  ${EXIT_USAGE}    usage or configuration error: an unknown option, a bad value, a missing setting or file`,
  `  ${EXIT_INTERRUPTED}  a second Ctrl-C or SIGTERM while the command was stopping`,
].join('\n');
