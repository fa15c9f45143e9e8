// The README's NextAuth v4 provider, driven the way NextAuth v4 drives an OAuth provider with
// `wellKnown` and `idToken: true`: openid-client 5 discovers idp, builds the client from the
// provider's `clientId`, `clientSecret` and `client` metadata, sends the browser to the
// authorization URL (PKCE and state, as `checks` asks), then `client.callback` exchanges the code
// and validates the ID token, and `profile` maps its claims.
// Usage: node nextauth4-check.mjs PROVIDER_FILE REDIRECT_URI. Settings: LOGTO_ENDPOINT, LOGTO_ID,
// LOGTO_SECRET. Prints `AUTHORIZE <url>`, reads the callback URL on standard input, prints
// `RESULT <json>` (or `ERROR <message>`).
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { Issuer, custom, generators } from "openid-client";

function readProvider(path) {
  // The README's file without its import and default export leaves the `logto` provider object.
  const source = readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => !line.startsWith("import ") && !line.startsWith("export default"))
    .join("\n")
    .replace("export const logto", "const logto");
  return new Function("process", `${source}\nreturn logto;`)(process);
}

async function main() {
  const [providerFile, redirectUri] = process.argv.slice(2);
  const provider = readProvider(providerFile);
  const issuer = await Issuer.discover(provider.wellKnown);
  const client = new issuer.Client({
    client_id: provider.clientId,
    client_secret: provider.clientSecret,
    redirect_uris: [redirectUri],
    ...provider.client,
  });
  client[custom.clock_tolerance] = 10; // as NextAuth v4 sets it

  const verifier = generators.codeVerifier();
  const state = generators.state();
  const url = client.authorizationUrl({
    ...provider.authorization.params,
    redirect_uri: redirectUri,
    code_challenge: generators.codeChallenge(verifier),
    code_challenge_method: "S256",
    state,
  });
  console.log(`AUTHORIZE ${url}`);

  const lines = createInterface({ input: process.stdin });
  const callbackUrl = (await lines[Symbol.asyncIterator]().next()).value;
  lines.close();
  const params = client.callbackParams(callbackUrl);
  const tokens = await client.callback(redirectUri, params, { code_verifier: verifier, state });
  const user = await provider.profile(tokens.claims(), tokens);
  const userinfo = await client.userinfo(tokens.access_token);
  console.log(`RESULT ${JSON.stringify({ user, userinfo })}`);
}

main().catch((error) => {
  console.log(`ERROR ${error.message}`);
  process.exit(1);
});
