import { employeeKey, normalise } from './link.js';
import { RULE_LABELS, ruleAttributes, type CorrelationRule, type RuleAttribute } from './rules.js';

/**
 * Why two accounts are (or are not) one person, rule by rule, in an admin's words: "emails
 * differ: a@x vs a@y", "employee id missing on the Google account", "the user-name rule is
 * turned off (it would link them on bob@x)". Pure, so every sentence is tested.
 */
export interface WhyAccount {
  /** How an admin names the account: 'the Google Workspace account ann@x.test'. */
  readonly label: string;
  readonly userName: string;
  readonly email: string | null;
  readonly employeeId: string | null;
}

export interface RuleVerdict {
  readonly rule: RuleAttribute;
  readonly enabled: boolean;
  /** The rule links the two accounts (enabled and their keys agree). */
  readonly matched: boolean;
  /** The shared value when the keys agree (whether or not the rule is on). */
  readonly value: string | null;
  readonly detail: string;
}

/** Every attribute, in the tenant's precedence; attributes missing from the stored rules count as off. */
export function allRules(rules: readonly CorrelationRule[]): CorrelationRule[] {
  const listed = new Set(rules.map((r) => r.attribute));
  return [...rules, ...ruleAttributes.filter((a) => !listed.has(a)).map((attribute) => ({ attribute, enabled: false }))];
}

export function compareAccounts(a: WhyAccount, b: WhyAccount, rules: readonly CorrelationRule[]): RuleVerdict[] {
  return allRules(rules).map((r) => verdict(r, a, b));
}

function verdict(rule: CorrelationRule, a: WhyAccount, b: WhyAccount): RuleVerdict {
  const { value, differs } = keysOf(rule.attribute, a, b);
  const name = RULE_LABELS[rule.attribute];
  if (value && !rule.enabled) {
    return { rule: rule.attribute, enabled: false, matched: false, value, detail: `the ${name.replace(' ', '-')} rule is turned off (it would link them on ${value})` };
  }
  if (value) return { rule: rule.attribute, enabled: true, matched: true, value, detail: `both have the ${name} ${value}` };
  const off = rule.enabled ? '' : ` (and the ${name.replace(' ', '-')} rule is turned off)`;
  return { rule: rule.attribute, enabled: rule.enabled, matched: false, value: null, detail: differs + off };
}

function keysOf(attribute: RuleAttribute, a: WhyAccount, b: WhyAccount): { value: string | null; differs: string } {
  switch (attribute) {
    case 'email': {
      const [ea, eb] = [normalise(a.email), normalise(b.email)];
      if (ea && ea === eb) return { value: ea, differs: '' };
      if (!ea && !eb) return { value: null, differs: `neither account has an email` };
      if (!ea || !eb) return { value: null, differs: `email missing on ${!ea ? a.label : b.label}` };
      return { value: null, differs: `emails differ: ${ea} vs ${eb}` };
    }
    case 'user_name': {
      const [ua, ub, ea, eb] = [normalise(a.userName), normalise(b.userName), normalise(a.email), normalise(b.email)];
      const shared = (ua && (ua === ub || ua === eb) ? ua : null) ?? (ub && ub === ea ? ub : null);
      if (shared) return { value: shared, differs: '' };
      return { value: null, differs: `user names differ: ${ua || '(none)'} vs ${ub || '(none)'}, and neither is the other's email` };
    }
    case 'employee_id': {
      const [ka, kb] = [employeeKey(a.employeeId), employeeKey(b.employeeId)];
      if (ka && ka === kb) return { value: ka, differs: '' };
      if (!ka && !kb) return { value: null, differs: `employee id missing on both accounts` };
      if (!ka || !kb) return { value: null, differs: `employee id missing on ${!ka ? a.label : b.label}` };
      return { value: null, differs: `employee ids differ: ${ka} vs ${kb}` };
    }
  }
}
