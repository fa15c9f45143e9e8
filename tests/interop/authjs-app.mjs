// An Express app signing in with Auth.js v5 and its built-in Logto provider, pointed at idp.
// Settings: the README's (AUTH_SECRET, AUTH_LOGTO_ISSUER, AUTH_LOGTO_ID, AUTH_LOGTO_SECRET, which
// Auth.js reads itself) and PORT. Prints READY when listening.
import express from "express";
import { ExpressAuth, getSession } from "@auth/express";
import Logto from "@auth/express/providers/logto";
import { getToken } from "@auth/core/jwt";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const secret = env("AUTH_SECRET");

const authConfig = {
  secret,
  trustHost: true,
  providers: [Logto],
  callbacks: {
    // `account` and `profile` (the ID token's claims) are only present right after sign-in.
    jwt({ token, account, profile }) {
      if (account) token.accessToken = account.access_token;
      if (profile) token.idpSubject = profile.sub;
      return token;
    },
    // The access token stays in the encrypted cookie; the browser only sees who signed in.
    session({ session, token }) {
      session.idpSubject = token.idpSubject;
      return session;
    },
  },
};

async function userinfo(req, res) {
  if (!(await getSession(req, authConfig))) return res.status(401).json({ error: "not signed in" });
  const { accessToken } = await getToken({ req, secret });
  const { userinfo_endpoint } = await fetch(`${env("AUTH_LOGTO_ISSUER")}/.well-known/openid-configuration`)
    .then((response) => response.json());
  const response = await fetch(userinfo_endpoint, { headers: { authorization: `Bearer ${accessToken}` } });
  res.status(response.status).json(await response.json());
}

const app = express();
app.use("/auth", ExpressAuth(authConfig));
app.get("/me", userinfo);

const server = app.listen(Number(env("PORT")), "127.0.0.1", () => console.log("READY"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
