// Validates Kubernetes objects against the API's schemas, offline, with the npm
// package kubernetes-models (an ES module, hence this file run by plain Node).
// Reads a JSON array of objects on stdin; prints a JSON array of
// { kind, name, error } for every object that does not validate (empty: all do).
// Unknown kinds are errors too: a typo in apiVersion or kind must not pass unseen.
const input = await new Promise((resolve) => {
  let text = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => (text += chunk));
  process.stdin.on('end', () => resolve(text));
});

const problems = [];
for (const object of JSON.parse(input)) {
  const name = object?.metadata?.name;
  const kind = object?.kind;
  let Model;
  try {
    // apiVersion "apps/v1" -> kubernetes-models/apps/v1/<Kind>; the core group "v1" -> kubernetes-models/v1/<Kind>.
    ({ [kind]: Model } = await import(`kubernetes-models/${object.apiVersion}/${kind}`));
  } catch {
    Model = undefined;
  }
  if (typeof Model !== 'function') {
    problems.push({ kind, name, error: `no schema for apiVersion ${object?.apiVersion}, kind ${kind}` });
    continue;
  }
  try {
    new Model(object).validate();
  } catch (err) {
    problems.push({ kind, name, error: String(err?.message ?? err) });
  }
}
process.stdout.write(JSON.stringify(problems));
