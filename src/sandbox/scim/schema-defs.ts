import { URN, type ResourceType } from './urns.js';

/**
 * Attribute definitions of the User, Group and Enterprise User schemas (RFC 7643 §§4, 8.7.1),
 * served at /Schemas and used by everything that needs to know an attribute's type,
 * case-exactness, mutability or returnability: the filter, sorting, projection, writes, PATCH.
 */
export type AttrType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'complex' | 'binary';
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';

export interface AttrDef {
  readonly name: string;
  readonly type: AttrType;
  readonly multiValued: boolean;
  readonly description: string;
  readonly required: boolean;
  readonly caseExact: boolean;
  readonly mutability: Mutability;
  readonly returned: Returned;
  readonly uniqueness: 'none' | 'server' | 'global';
  readonly canonicalValues?: readonly string[];
  readonly referenceTypes?: readonly string[];
  readonly subAttributes?: readonly AttrDef[];
}

export interface SchemaDef {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly attributes: readonly AttrDef[];
}

type Opts = Partial<Omit<AttrDef, 'name' | 'type' | 'description'>>;

function a(name: string, type: AttrType, description: string, o: Opts = {}): AttrDef {
  return {
    name,
    type,
    multiValued: o.multiValued ?? false,
    description,
    required: o.required ?? false,
    caseExact: o.caseExact ?? false,
    mutability: o.mutability ?? 'readWrite',
    returned: o.returned ?? 'default',
    uniqueness: o.uniqueness ?? 'none',
    ...(o.canonicalValues ? { canonicalValues: o.canonicalValues } : {}),
    ...(o.referenceTypes ? { referenceTypes: o.referenceTypes } : {}),
    ...(o.subAttributes ? { subAttributes: o.subAttributes } : {}),
  };
}

/** The value/display/type/primary shape shared by emails, phoneNumbers, ims, … (RFC 7643 §2.4). */
function multi(name: string, description: string, canonicalTypes: readonly string[], valueType: AttrType = 'string', extra: Opts = {}): AttrDef {
  return a(name, 'complex', description, {
    multiValued: true,
    ...extra,
    subAttributes: [
      a('value', valueType, `The value of the ${name} entry.`, valueType === 'reference' ? { referenceTypes: ['external'] } : {}),
      a('display', 'string', 'A human-readable name, primarily used for display purposes.'),
      a('type', 'string', `A label indicating the ${name} entry's function.`, canonicalTypes.length ? { canonicalValues: canonicalTypes } : {}),
      a('primary', 'boolean', `A Boolean value indicating the 'primary' or preferred ${name} entry.`),
    ],
  });
}

export const userSchema: SchemaDef = {
  id: URN.user,
  name: 'User',
  description: 'User Account',
  attributes: [
    a('userName', 'string', 'Unique identifier for the User, typically used by the user to directly authenticate to the service provider.', { required: true, uniqueness: 'server' }),
    a('name', 'complex', "The components of the user's real name.", {
      subAttributes: [
        a('formatted', 'string', "The full name, including all middle names, titles, and suffixes as appropriate, formatted for display."),
        a('familyName', 'string', 'The family name of the User, or last name in most Western languages.'),
        a('givenName', 'string', 'The given name of the User, or first name in most Western languages.'),
        a('middleName', 'string', 'The middle name(s) of the User.'),
        a('honorificPrefix', 'string', "The honorific prefix(es) of the User, or title in most Western languages (e.g., 'Ms.')."),
        a('honorificSuffix', 'string', "The honorific suffix(es) of the User, or suffix in most Western languages (e.g., 'III')."),
      ],
    }),
    a('displayName', 'string', 'The name of the User, suitable for display to end-users.'),
    a('nickName', 'string', 'The casual way to address the user in real life.'),
    a('profileUrl', 'reference', "A fully qualified URL pointing to a page representing the User's online profile.", { referenceTypes: ['external'] }),
    a('title', 'string', "The user's title, such as 'Vice President'."),
    a('userType', 'string', "Used to identify the relationship between the organization and the user, e.g. 'Employee', 'Contractor', 'Guest'."),
    a('preferredLanguage', 'string', "Indicates the User's preferred written or spoken language, e.g. 'en-US'."),
    a('locale', 'string', "Used to indicate the User's default location for purposes of localizing items such as currency, date time format, or numerical representations."),
    a('timezone', 'string', "The User's time zone in the 'Olson' time zone database format, e.g. 'America/Los_Angeles'."),
    a('active', 'boolean', "A Boolean value indicating the User's administrative status."),
    a('password', 'string', "The User's cleartext password. Never returned.", { mutability: 'writeOnly', returned: 'never' }),
    multi('emails', 'Email addresses for the user.', ['work', 'home', 'other']),
    multi('phoneNumbers', 'Phone numbers for the User.', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
    multi('ims', 'Instant messaging addresses for the User.', ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo']),
    multi('photos', 'URLs of photos of the User.', ['photo', 'thumbnail'], 'reference'),
    a('addresses', 'complex', 'A physical mailing address for this User.', {
      multiValued: true,
      subAttributes: [
        a('formatted', 'string', 'The full mailing address, formatted for display or use with a mailing label.'),
        a('streetAddress', 'string', 'The full street address component.'),
        a('locality', 'string', 'The city or locality component.'),
        a('region', 'string', 'The state or region component.'),
        a('postalCode', 'string', 'The zip code or postal code component.'),
        a('country', 'string', 'The country name component.'),
        a('type', 'string', "A label indicating the address's function.", { canonicalValues: ['work', 'home', 'other'] }),
        a('primary', 'boolean', "A Boolean value indicating the 'primary' or preferred address."),
      ],
    }),
    a('groups', 'complex', 'A list of groups to which the user belongs, either through direct membership or nested groups.', {
      multiValued: true,
      mutability: 'readOnly',
      subAttributes: [
        a('value', 'string', "The identifier of the User's group.", { mutability: 'readOnly' }),
        a('$ref', 'reference', "The URI of the corresponding 'Group' resource.", { mutability: 'readOnly', referenceTypes: ['User', 'Group'] }),
        a('display', 'string', 'A human-readable name, primarily used for display purposes.', { mutability: 'readOnly' }),
        a('type', 'string', "A label indicating the attribute's function, e.g. 'direct' or 'indirect'.", { mutability: 'readOnly', canonicalValues: ['direct', 'indirect'] }),
      ],
    }),
    multi('entitlements', 'A list of entitlements for the User that represent a thing the User has.', []),
    multi('roles', "A list of roles for the User that collectively represent who the User is, e.g. 'Student', 'Faculty'.", []),
    multi('x509Certificates', 'A list of certificates issued to the User.', [], 'binary'),
  ],
};

export const groupSchema: SchemaDef = {
  id: URN.group,
  name: 'Group',
  description: 'Group',
  attributes: [
    a('displayName', 'string', 'A human-readable name for the Group.', { required: true }),
    a('members', 'complex', 'A list of members of the Group.', {
      multiValued: true,
      subAttributes: [
        a('value', 'string', 'Identifier of the member of this Group.', { mutability: 'immutable' }),
        a('$ref', 'reference', 'The URI corresponding to a SCIM resource that is a member of this Group.', { mutability: 'immutable', referenceTypes: ['User', 'Group'] }),
        a('display', 'string', 'A human-readable name of the member.', { mutability: 'readOnly' }),
        a('type', 'string', 'A label indicating the type of resource, e.g. \'User\' or \'Group\'.', { mutability: 'immutable', canonicalValues: ['User', 'Group'] }),
      ],
    }),
  ],
};

export const enterpriseUserSchema: SchemaDef = {
  id: URN.enterprise,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    a('employeeNumber', 'string', 'Numeric or alphanumeric identifier assigned to a person, typically based on order of hire or association with an organization.'),
    a('costCenter', 'string', 'Identifies the name of a cost center.'),
    a('organization', 'string', 'Identifies the name of an organization.'),
    a('division', 'string', 'Identifies the name of a division.'),
    a('department', 'string', 'Identifies the name of a department.'),
    a('manager', 'complex', "The User's manager.", {
      subAttributes: [
        a('value', 'string', 'The id of the SCIM resource representing the User\'s manager.'),
        a('$ref', 'reference', "The URI of the SCIM resource representing the User's manager.", { referenceTypes: ['User'] }),
        a('displayName', 'string', "The displayName of the User's manager.", { mutability: 'readOnly' }),
      ],
    }),
  ],
};

/** Attributes every resource has (RFC 7643 §3.1); not part of any schema's definition. */
export const commonAttributes: readonly AttrDef[] = [
  a('id', 'string', 'A unique identifier for a SCIM resource as defined by the service provider.', { caseExact: true, mutability: 'readOnly', returned: 'always', uniqueness: 'server' }),
  a('externalId', 'string', 'A String that is an identifier for the resource as defined by the provisioning client.', { caseExact: true }),
  a('meta', 'complex', 'A complex attribute containing resource metadata.', {
    mutability: 'readOnly',
    subAttributes: [
      a('resourceType', 'string', 'The name of the resource type of the resource.', { caseExact: true, mutability: 'readOnly' }),
      a('created', 'dateTime', 'The DateTime that the resource was added to the service provider.', { mutability: 'readOnly' }),
      a('lastModified', 'dateTime', 'The most recent DateTime that the details of this resource were updated at the service provider.', { mutability: 'readOnly' }),
      a('location', 'reference', 'The URI of the resource being returned.', { caseExact: true, mutability: 'readOnly', referenceTypes: ['uri'] }),
      a('version', 'string', 'The version of the resource being returned (an ETag).', { caseExact: true, mutability: 'readOnly' }),
    ],
  }),
];

export const allSchemas: readonly SchemaDef[] = [userSchema, groupSchema, enterpriseUserSchema];

export const coreSchemaOf: Record<ResourceType, SchemaDef> = { User: userSchema, Group: groupSchema };
export const extensionsOf: Record<ResourceType, readonly SchemaDef[]> = { User: [enterpriseUserSchema], Group: [] };

/** A parsed attribute path: `[urn:]attr[.sub]` (RFC 7644 §3.10). */
export interface AttrPath {
  readonly urn?: string;
  readonly attr: string;
  readonly sub?: string;
}

/** Where an attribute lives: top-level (core or common) or under its extension URN key. */
export interface Resolved {
  /** The extension URN the attribute is stored under, or undefined for core/common attributes. */
  readonly ext?: string;
  readonly attr: AttrDef;
  readonly sub?: AttrDef;
}

const eqi = (x: string, y: string): boolean => x.toLowerCase() === y.toLowerCase();

export function findAttr(defs: readonly AttrDef[], name: string): AttrDef | undefined {
  return defs.find((d) => eqi(d.name, name));
}

/** The extension schema whose URN equals `text` (case-insensitive), if any. */
export function extensionByUrn(rt: ResourceType, text: string): SchemaDef | undefined {
  return extensionsOf[rt].find((s) => eqi(s.id, text));
}

/**
 * Resolves an attribute path against a resource type. Names are case-insensitive
 * (RFC 7643 §2.1); unqualified names are looked up in the core schema, then the common
 * attributes, then the extensions (lenient: clients often omit the enterprise URN).
 */
export function resolvePath(rt: ResourceType, p: AttrPath): Resolved | undefined {
  const core = coreSchemaOf[rt];
  let ext: SchemaDef | undefined;
  let attr: AttrDef | undefined;
  if (p.urn !== undefined) {
    if (eqi(p.urn, core.id)) attr = findAttr(core.attributes, p.attr) ?? findAttr(commonAttributes, p.attr);
    else {
      ext = extensionByUrn(rt, p.urn);
      if (!ext) return undefined;
      attr = findAttr(ext.attributes, p.attr);
    }
  } else {
    attr = findAttr(core.attributes, p.attr) ?? findAttr(commonAttributes, p.attr);
    if (!attr) {
      for (const e of extensionsOf[rt]) {
        const found = findAttr(e.attributes, p.attr);
        if (found) {
          ext = e;
          attr = found;
          break;
        }
      }
    }
  }
  if (!attr) return undefined;
  if (p.sub === undefined) return { ...(ext ? { ext: ext.id } : {}), attr };
  const sub = attr.subAttributes ? findAttr(attr.subAttributes, p.sub) : undefined;
  if (!sub) return undefined;
  return { ...(ext ? { ext: ext.id } : {}), attr, sub };
}

/** Splits `urn:…:User:attr.sub` / `attr.sub` into its parts, knowing the schema URNs (they contain dots). */
export function splitAttrPath(text: string): AttrPath | undefined {
  let urn: string | undefined;
  let rest = text;
  if (/^urn:/i.test(text)) {
    const known = allSchemas.find((s) => text.length > s.id.length && eqi(text.slice(0, s.id.length + 1), `${s.id}:`));
    const cut = known ? known.id.length : text.lastIndexOf(':');
    if (cut <= 0) return undefined;
    urn = text.slice(0, cut);
    rest = text.slice(cut + 1);
  }
  const parts = rest.split('.');
  if (parts.length > 2) return undefined;
  const [attr, sub] = parts as [string, string | undefined];
  const NAME = /^\$?[A-Za-z][\w$-]*$/;
  if (!NAME.test(attr) || (sub !== undefined && !NAME.test(sub))) return undefined;
  return { ...(urn !== undefined ? { urn } : {}), attr, ...(sub !== undefined ? { sub } : {}) };
}
