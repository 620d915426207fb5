import { KNOWN_RESOURCES, resolveResource } from '../apiserver/index.js';
import type { ResourceRef } from '../provider/index.js';
import type { ResourceMapping } from './schema.js';
import { Template } from './template.js';

const NAMESPACES = 'namespaces';

/**
 * `resources:` of one rule (pkg/naming/resource_converter.go): which series label names
 * which Kubernetes resource. Overrides win; otherwise a label matching the template
 * (`<<.Group>>`/`<<.Resource>>`, group with `.`/`-` as `_`, resource singular) does.
 * Resources are normalized through the adapter's static resource table (standing in for
 * the RESTMapper), so `pod` and `pods` both work.
 */
export class ResourceMapper {
  private readonly overrides = new Map<string, ResourceRef>();
  private readonly template?: { readonly tpl: Template; readonly re: RegExp };
  /** Overrides that name no known resource: reported, then left out. */
  readonly unknownOverrides: readonly { label: string; resource: string }[];

  constructor(mapping: ResourceMapping | null | undefined) {
    const unknown: { label: string; resource: string }[] = [];
    for (const [label, gr] of Object.entries(mapping?.overrides ?? {})) {
      const name = gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
      const ref = resolveResource(name);
      if (ref) this.overrides.set(label, ref);
      else unknown.push({ label, resource: name });
    }
    this.unknownOverrides = unknown;
    if (mapping?.template) {
      const tpl = new Template(mapping.template);
      this.template = { tpl, re: templateRegex(tpl) };
    }
  }

  /** The resource `label` names, if any. */
  resourceFor(label: string): ResourceRef | undefined {
    const o = this.overrides.get(label);
    if (o) return o;
    const m = this.template?.re.exec(label);
    if (!m?.groups) return undefined;
    const { group, resource } = m.groups;
    if (!resource) return undefined;
    if (group === undefined) return resolveResource(resource);
    const known = KNOWN_RESOURCES.find((r) => r.group !== '' && (r.group === group || r.group.replace(/[.-]/g, '_') === group));
    return known ? resolveResource(`${resource}.${known.group}`) : undefined;
  }

  /** The label carrying the namespace: an override to `namespaces`, else the template for it. */
  namespaceLabel(): string | undefined {
    for (const [label, ref] of this.overrides) if (ref.resource === NAMESPACES && ref.group === '') return label;
    if (!this.template) return undefined;
    const label = this.template.tpl.render({ Group: '', Resource: 'namespace' });
    return this.resourceFor(label)?.resource === NAMESPACES ? label : undefined;
  }

  /** Every label name this mapping can resolve to a resource, among `labels`. */
  resourcesOf(labels: Iterable<string>): Map<string, ResourceRef> {
    const out = new Map<string, ResourceRef>();
    for (const l of labels) {
      const ref = this.resourceFor(l);
      if (ref) out.set(l, ref);
    }
    return out;
  }
}

/** `kube_<<.Group>>_<<.Resource>>` → /^kube_(?<group>.+?)_(?<resource>.+?)$/ */
function templateRegex(tpl: Template): RegExp {
  // Placeholders no label name can contain; the rest of the rendering is escaped literally.
  const G = '@@G@@';
  const R = '@@R@@';
  const rendered = tpl.render({ Group: G, Resource: R });
  const escaped = rendered.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  let groupSeen = false;
  let resourceSeen = false;
  const source = escaped.replace(/@@([GR])@@/g, (_m, which: string) => {
    if (which === 'G') {
      const s = groupSeen ? '.+?' : '(?<group>.+?)';
      groupSeen = true;
      return s;
    }
    const s = resourceSeen ? '.+?' : '(?<resource>.+?)';
    resourceSeen = true;
    return s;
  });
  return new RegExp(`^${source}$`);
}
