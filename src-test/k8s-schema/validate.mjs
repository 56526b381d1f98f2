// Validates Kubernetes objects against the Kubernetes OpenAPI schemas (1.36, with older versions' removed APIs), as
// kubernetes-models 5.1.0 compiles them. It declares Node.js 22+; what this script uses runs on Node.js 20 too.
//
// Reads a JSON array of objects on standard input; writes a JSON array of reports, one per object, in the same
// order: {"apiVersion", "kind", "name", "errors": [...]}. An empty errors list means the object is valid.
//
// Custom resources without a model are checked against the JSON schemas in resources/ instead.
//
// Two checks per object:
// 1. the schema itself: types, formats, enumerations, required fields (kubernetes-models' validate());
// 2. unknown fields, which the schemas allow but the API server rejects under strict field validation (kubectl's
//    default): the compiled validator looks up every field its schema declares, so a field it never looked up
//    is one the schema does not know. Objects it enumerates instead (maps such as labels or data) hold any key.
import { existsSync, readFileSync } from "node:fs";
import Ajv from "ajv";

const MODEL_PACKAGES = ["kubernetes-models", "@kubernetes-models/prometheus-operator"];

async function modelClass(apiVersion, kind) {
  for (const pkg of MODEL_PACKAGES) {
    try {
      const module = await import(`${pkg}/${apiVersion}/${kind}`);
      if (module[kind]) {
        return module[kind];
      }
    } catch (notInThisPackage) {
      // try the next package
    }
  }
  return null;
}

// Wraps an object graph so that every field lookup is recorded; returns the wrapped root and the records.
function track(root) {
  const records = [];
  const proxies = new WeakMap();
  const wrap = (value, path) => {
    if (value === null || typeof value !== "object") {
      return value;
    }
    if (proxies.has(value)) {
      return proxies.get(value);
    }
    const record = { path, value, lookedUp: new Set(), enumerated: false };
    if (!Array.isArray(value)) {
      records.push(record);
    }
    const proxy = new Proxy(value, {
      get(target, key, receiver) {
        const field = Reflect.get(target, key, receiver);
        if (typeof key !== "string") {
          return field;
        }
        record.lookedUp.add(key);
        return Object.prototype.hasOwnProperty.call(target, key) ? wrap(field, `${path}.${key}`) : field;
      },
      has(target, key) {
        record.lookedUp.add(key);
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        record.enumerated = true;
        return Reflect.ownKeys(target);
      },
    });
    proxies.set(value, proxy);
    return proxy;
  };
  return { root: wrap(root, ""), records };
}

function unknownFields(records) {
  const unknown = [];
  for (const { path, value, lookedUp, enumerated } of records) {
    if (enumerated) {
      continue;
    }
    for (const key of Object.keys(value)) {
      if (!lookedUp.has(key)) {
        unknown.push(`data${path}.${key} is not a field of the schema`);
      }
    }
  }
  return unknown;
}

// Custom resources that kubernetes-models has no model for: a JSON schema each, in resources/, by API group, version
// and kind (see the file for where its rules come from). Unknown fields are refused by the schema itself.
const ajv = new Ajv({ allErrors: true, strict: false });

function customResourceErrors(apiVersion, kind, object) {
  const file = new URL(`./resources/${String(apiVersion).replace("/", "_")}_${kind}.json`, import.meta.url);
  if (!existsSync(file)) {
    return null;
  }
  const check = ajv.compile(JSON.parse(readFileSync(file, "utf8")));
  return check(object) ? [] : check.errors.map((e) => `data${e.instancePath.replaceAll("/", ".")} ${e.message}`);
}

async function validate(object) {
  const report = {
    apiVersion: object?.apiVersion ?? null,
    kind: object?.kind ?? null,
    name: object?.metadata?.name ?? null,
    errors: [],
  };
  const custom = customResourceErrors(report.apiVersion, report.kind, object);
  if (custom) {
    report.errors.push(...custom);
    return report;
  }
  const Model = await modelClass(report.apiVersion, report.kind);
  if (!Model) {
    report.errors.push(`no schema for ${report.apiVersion} ${report.kind}`);
    return report;
  }
  const model = new Model(object);
  const { root, records } = track(model);
  try {
    model.validate.call(root);
  } catch (e) {
    report.errors.push(e.message);
    return report; // a validator that stopped at an error has not looked up every field: no unknown-field check
  }
  report.errors.push(...unknownFields(records));
  return report;
}

const objects = JSON.parse(readFileSync(0, "utf8"));
const reports = [];
for (const object of objects) {
  reports.push(await validate(object));
}
process.stdout.write(JSON.stringify(reports));
