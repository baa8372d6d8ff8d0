// A REST target for the REST connector tests: json-server 0.17 (in memory) behind the rules a real identity API
// has, under path prefixes that choose the behaviour:
//   /open/...     no authentication          /bearer/...   Authorization: Bearer <static or OAuth token>
//   /basic/...    HTTP basic                 /apikey/...   X-API-Key header
//   /limited/...  every other request gets 429 with Retry-After: 1
//   POST /oauth/token  OAuth 2 client credentials (client_id "ecmahost", client_secret from CLIENT_SECRET)
// Rules: users.userName and groups.displayName unique (case-insensitive, 409), users.userName required (422),
// deleting a user removes it from every group's members. Usage: node rest_target.js <port>
const jsonServer = require("json-server");

const port = Number(process.argv[2] || 3000);
const TOKEN = process.env.STATIC_TOKEN || "static-token-0123456789";
const BASIC = "Basic " + Buffer.from(`${process.env.BASIC_USER || "api"}:${process.env.BASIC_PASSWORD || "pw-0123456789"}`).toString("base64");
const API_KEY = process.env.API_KEY || "key-0123456789";
const CLIENT_SECRET = process.env.CLIENT_SECRET || "client-secret-0123456789";
const issued = new Set();

const server = jsonServer.create();
const router = jsonServer.router({ users: [], groups: [] });
const db = router.db;
server.use(jsonServer.bodyParser);
server.use(require("express").urlencoded({ extended: false }));

server.post("/oauth/token", (req, res) => {
  if (req.body.grant_type !== "client_credentials" || req.body.client_id !== "ecmahost" || req.body.client_secret !== CLIENT_SECRET) {
    return res.status(401).json({ error: "invalid_client" });
  }
  const token = `oauth-${Math.random().toString(36).slice(2)}`;
  issued.add(token);
  res.json({ access_token: token, token_type: "bearer", expires_in: 3600 });
});

let limitedCount = 0;
const guards = {
  open: () => true,
  bearer: (req) => req.headers.authorization === `Bearer ${TOKEN}` || issued.has((req.headers.authorization || "").replace(/^Bearer /, "")),
  basic: (req) => req.headers.authorization === BASIC,
  apikey: (req) => req.headers["x-api-key"] === API_KEY,
  limited: () => true,
};

server.use((req, res, next) => {
  const match = req.url.match(/^\/(open|bearer|basic|apikey|limited)(\/.*)$/);
  if (!match) return res.status(404).json({ error: "unknown prefix" });
  if (!guards[match[1]](req)) return res.status(401).json({ error: "unauthorized" });
  if (match[1] === "limited" && limitedCount++ % 2 === 0) {
    res.set("Retry-After", "1");
    return res.status(429).json({ error: "slow down" });
  }
  req.url = match[2];
  next();
});

const lower = (value) => (typeof value === "string" ? value.toLowerCase() : value);
function uniqueClash(collection, field, body, id) {
  if (body[field] === undefined || body[field] === null) return false;
  return db.get(collection).value().some((item) => String(item.id) !== String(id) && lower(item[field]) === lower(body[field]));
}

server.use((req, res, next) => {
  const parts = req.path.split("/").filter(Boolean);
  const [collection, id] = parts;
  const field = { users: "userName", groups: "displayName" }[collection];
  if (!field) return next();
  if (["POST", "PUT", "PATCH"].includes(req.method)) {
    if (id && !db.get(collection).find((item) => String(item.id) === id).value()) return res.status(404).json({});
    const merged = req.method === "PATCH" ? { ...db.get(collection).find((item) => String(item.id) === id).value(), ...req.body } : req.body;
    if (collection === "users" && !merged.userName) return res.status(422).json({ error: "userName is required" });
    if (uniqueClash(collection, field, merged, id)) return res.status(409).json({ error: `${field} is taken` });
  }
  if (req.method === "DELETE" && collection === "users" && id) {
    db.get("groups").value().forEach((group) => {
      if (Array.isArray(group.members)) group.members = group.members.filter((m) => String(m) !== id);
    });
  }
  next();
});

server.use(router);
server.listen(port, "127.0.0.1", () => console.log(`rest target on ${port}`));
