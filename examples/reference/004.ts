/**
 * Reference page 004: a voice SaaS with workspaces. The envelope `{ success, code, error, details }` with
 * field errors as `details.fieldErrors`; codes "shipped with the API and the SDK". The page describes most
 * codes without naming them: they are named here as the API names the ones it does mention
 * (`AUTH_EMAIL_NOT_VERIFIED`, `SUBSCRIPTION_REQUIRED`, `QUOTA_EXCEEDED`, `LICENSE_EXPIRED`, …). Codes the
 * page lists with "No additional description." keep none. Some codes are deliberately collapsed so the
 * public surface is no existence oracle.
 */
import { defineErrors } from 'faultline';
import { commonFormats } from 'faultline/format';
import * as z from 'zod';

export const errors = defineErrors(
  {
    // Auth & identity
    EMAIL_VERIFICATION_REQUIRED: {
      status: 403,
      group: 'auth',
      message: 'Verify your email address to continue',
      description:
        'The caller is authenticated but their account is still in `unverified` state (or `users.email_verified_at` is null). Emitted by `VerifiedUserGuard` on workspace-scoped endpoints. The web client maps this to `/auth/verify-required`, where the user can resend the verification email or change the address they signed up with. Distinct from `AUTH_EMAIL_NOT_VERIFIED` (which Google OAuth raises when the *provider* says the email is unverified — a sign-in-time rejection, not a post-login workspace gate).',
    },
    AUTH_SESSION_IDLE_EXPIRED: {
      status: 401,
      group: 'auth',
      message: 'Session expired after inactivity',
      description:
        "The session's sliding idle window has expired. The refresh endpoint returns this when `last_activity_at` is older than the configured IDLE_TIMEOUT (30 min). The web client treats this distinctly from a stale/revoked token — it redirects to login with `?reason=inactive` so the inactivity banner is shown.",
    },
    IMPERSONATION_FORBIDDEN: {
      status: 403,
      group: 'auth',
      message: 'This action is not available while impersonating',
      description:
        'The current session is an admin-impersonation session and the requested endpoint is on the deny-list for impersonated principals (e.g. changing the target user\'s email or password, initiating a paid checkout on their behalf, deleting their account). The frontend renders a generic "this action is not available while impersonating" message and surfaces a hint to stop impersonating.',
    },
    IMPERSONATION_TARGET_INVALID: {
      status: 400,
      group: 'auth',
      message: 'This user cannot be impersonated',
      description:
        'The impersonation `target` rejected by the admin endpoint: either does not exist, is suspended / deleted, is another platform admin (admins can never impersonate each other), OR is the caller themselves. Distinct from `AUTH_INVALID_CREDENTIALS` so the UI can surface a precise message.',
    },
    AUTH_EMAIL_NOT_VERIFIED: {
      status: 401,
      group: 'auth',
      message: 'Your Google account email is not verified',
      description: 'Google OAuth reports the email as unverified: a sign-in-time rejection.',
    },
    AUTH_INVALID_CREDENTIALS: { status: 401, group: 'auth', message: 'Invalid email or password' },
    // Validation
    VALIDATION_FAILED: {
      status: 400,
      group: 'validation',
      // The page's example shows a placeholder ("Human-readable summary") where the message goes.
      message: 'One or more fields are invalid.',
      description:
        'The body, query or parameters do not match the schema, or a field holds a value the API refuses (an address already in use); `details.fieldErrors` maps each field to its problem.',
      fix: 'Correct each field named in `details.fieldErrors` and send the request again.',
    },
    IDEMPOTENCY_KEY_REUSED: {
      status: 422,
      group: 'validation',
      message: 'This idempotency key was already used with a different request body',
      description:
        "The same `Idempotency-Key` was replayed with a different request body. Emitted by `IdempotencyService` on cache hit when the persisted `body_hash` does not match the incoming payload's hash. The client either has a key-reuse bug or two concurrent generators collided. Either way, the safe action is to mint a new key.",
    },
    // Resources
    RESOURCE_NOT_FOUND: { status: 404, group: 'resources', message: 'Not found' },
    RESOURCE_FORBIDDEN: {
      status: 403,
      group: 'resources',
      message: 'You do not have access to this resource',
    },
    RESOURCE_CONFLICT: { status: 409, group: 'resources', message: 'The resource changed or already exists' },
    // Workflow / state
    INVALID_STATE_TRANSITION: {
      status: 409,
      group: 'workflow',
      message: 'This action is not allowed in the current state',
    },
    PRECONDITION_NOT_MET: {
      status: 412,
      group: 'workflow',
      message: 'A required prior step has not been completed',
    },
    OPERATION_IN_PROGRESS: {
      status: 409,
      group: 'workflow',
      message: 'Another operation on this resource is in progress',
    },
    PROVIDER_NOT_REGISTERED: {
      status: 500,
      group: 'workflow',
      message: 'Telephony provider is not registered',
      description:
        "No telephony provider is registered for the requested provider id (e.g. `TelephonyRegistry.get('plivo')` before the Plivo adapter is wired). Distinct from `PROVIDER_NOT_CONFIGURED` (the provider exists but the tenant has no credential). An unknown provider id in a production path is a wiring bug, not a tenant-actionable error.",
      retryable: false,
    },
    PROVIDER_NOT_CONFIGURED: {
      status: 400,
      group: 'workflow',
      message: 'Telephony provider is not configured for this workspace',
    },
    CALL_NOT_ACTIVE: { status: 409, group: 'workflow', message: 'The call is not active' },
    SUBSCRIPTION_REQUIRED: {
      status: 402,
      group: 'workflow',
      message: 'Choose a plan to continue',
      description:
        'The workspace has no `trial` / `active` subscription, so the requested action is gated behind buying or renewing a plan. Emitted by `SubscriptionGuard`. The web client maps this to a "Choose a plan" upsell.',
    },
    ENTITLEMENT_REQUIRED: {
      status: 402,
      group: 'workflow',
      message: 'Upgrade to unlock this feature',
      description:
        'The workspace\'s plan does NOT include the feature the requested endpoint gates on (e.g. white-label `branding`, `enterprise_analytics`). Distinct from `SUBSCRIPTION_REQUIRED` (no usable plan at all) — here a plan exists but lacks the specific entitlement. Emitted by `EntitlementGuard` (`@RequireEntitlement(...)`). The web client maps this to an "Upgrade to unlock" upsell.',
      details: z.object({ entitlement: z.string() }),
    },
    // Rate limiting
    QUOTA_EXCEEDED: {
      status: 429,
      group: 'rate-limiting',
      message: 'Quota exhausted for this window',
      description:
        'The workspace, API key, or per-resource quota has been exhausted for the current window (per-day budget, per-month plan cap, etc.). Distinct from `RATE_LIMITED` (instantaneous burst protection) — `QUOTA_EXCEEDED` requires either upgrading the plan or waiting for the next quota window to roll over.',
      retryable: false,
    },
    RATE_LIMITED: {
      status: 429,
      group: 'rate-limiting',
      message: 'Too many requests',
      description: 'Instantaneous burst protection; retry after `Retry-After`.',
    },
    // Community / forum
    FORUM_BANNED: {
      status: 403,
      group: 'forum',
      message: 'You are banned from posting in the forum',
      description:
        'The user has been banned from posting in the forum (thread, reply, reaction, mention). Emitted by `ForumBanGuard`. The user is still allowed to read public content — the ban only gates writes.',
    },
    REACTION_NOT_ALLOWED: {
      status: 422,
      group: 'forum',
      message: "This emoji isn't supported",
      description:
        'The caller submitted an emoji to the reaction toggle endpoint that is NOT in the operator-fixed `REACTION_CATALOG`. Open-emoji picker is intentionally unsupported in v1 to keep the per-target reaction tallies bounded + the moderation surface predictable.',
    },
    // Lifecycle gates
    WORKSPACE_SUSPENDED: {
      status: 403,
      group: 'lifecycle',
      message: 'Workspace suspended',
      description:
        'Workspace-level lifecycle gate. The workspace was suspended by a platform admin (`workspaces.status = \'suspended\'`) and the requested action — typically originating an outbound call or accepting an inbound one — is refused while the workspace is in this state. The web app maps this to a "Workspace suspended" banner.',
    },
    NUMBER_SUSPENDED: {
      status: 403,
      group: 'lifecycle',
      message: 'This number is suspended',
      description:
        "Per-number lifecycle gate. The DID is `'suspended'` (either by a cascade suspend of the parent workspace OR by a per-number admin suspend). Origination using this number is refused.",
    },
    AGENT_SUSPENDED: {
      status: 403,
      group: 'lifecycle',
      message: 'This agent is suspended',
      description:
        "Per-agent lifecycle gate. The agent is `'suspended'` (cascade or per-agent). Origination through this agent is refused.",
    },
    // Server / dependencies
    DEPENDENCY_UNAVAILABLE: { status: 503, group: 'server', message: 'A dependency is unavailable' },
    UPSTREAM_PROVIDER_ERROR: {
      status: 502,
      group: 'server',
      message: 'The telephony provider returned an error',
    },
    STORAGE_ERROR: { status: 500, group: 'server', message: 'Storage error' },
    OPERATOR_CALL_ACTIVE: {
      status: 409,
      group: 'server',
      message: 'Operator already has an active call',
      description: 'Operator already has an active human-dialer call.',
    },
    DESTINATION_COUNTRY_NOT_ENABLED: {
      status: 422,
      group: 'server',
      message: 'Calls to {countryCode} are not enabled',
      details: z.object({ countryCode: z.string() }),
      description:
        'The destination country of the outbound dial is not enabled for the workspace\'s outbound calling. The web client maps this to a friendly toast PLUS an inline "Enable <country>" one-click button that POSTs to `/outbound-destinations/:code/enable`. `details.countryCode` carries the ISO-3166 alpha-2 code so the UI can render the button label + lookup the country flag without re-parsing the message. Actionable by the operator, not a transient upstream failure.',
    },
    CALL_BLOCKED: {
      status: 403,
      group: 'server',
      message: 'This call cannot be placed',
      details: z.object({ reason: z.enum(['dnc', 'hard_block']) }),
      description:
        "The outbound dial was refused by a provider-neutral telephony guardrail BEFORE the leg connected: the destination is on the workspace Do-Not-Call list, or on the global emergency/system hard-block list. Emitted by `TelephonyGuardrailsService.checkOutbound`. The web client maps this to a \"This call cannot be placed\" toast. `details.reason` is `'dnc'` or `'hard_block'` so the UI can tailor it.",
    },
    // Live-call listener
    LISTENER_CALL_NOT_LIVE: {
      status: 409,
      group: 'listener',
      message: 'This call is no longer live',
      description:
        "Listener attach requested for a call that's not in an attachable state (queued, no_answer, completed, failed, cancelled, busy). The UI should refresh its live-calls list — the call is no longer live.",
    },
    LISTENER_ALREADY_ATTACHED: {
      status: 409,
      group: 'listener',
      message: 'You are already listening to this call',
      description:
        'The same user already has an active listener session for this call. Detach the existing session before attaching again.',
    },
    LISTENER_CALL_FORBIDDEN: {
      status: 403,
      group: 'listener',
      message: 'Listener attach refused',
      description:
        'Listener attach refused — the workspace-scoped endpoint detected the URL `:id` (workspace) does not own the target `:callId`. A cross-tenant probe; logged + audited.',
    },
    // Web widgets
    WIDGET_NOT_FOUND: {
      status: 404,
      group: 'widgets',
      message: 'Widget not found',
      description: 'Widget id was not found (or has been archived).',
    },
    WIDGET_NOT_ACTIVE: {
      status: 409,
      group: 'widgets',
      message: 'Widget is not active',
      description: 'Widget is `paused`/`archived` — visitor session start refused.',
    },
    WIDGET_ORIGIN_NOT_ALLOWED: {
      status: 403,
      group: 'widgets',
      message: 'Origin not allowed',
      description: "Visitor's `Origin` header is not on the widget's allowlist.",
    },
    WIDGET_DAILY_LIMIT_REACHED: {
      status: 429,
      group: 'widgets',
      message: 'Widget session limit reached for today',
      description: "Widget's `max_sessions_per_day` cap is exhausted.",
      retryable: false,
    },
    WIDGET_VISITOR_LIMIT_REACHED: {
      status: 429,
      group: 'widgets',
      message: 'Visitor session limit reached for today',
      description: 'Visitor exceeded `max_sessions_per_visitor_per_day` on this widget.',
      retryable: false,
    },
    WIDGET_INSUFFICIENT_CREDIT: {
      status: 402,
      group: 'widgets',
      message: 'Insufficient credit',
      description: "Workspace credit balance can't fund another widget session.",
    },
    WIDGET_SESSION_EXPIRED: {
      status: 401,
      group: 'widgets',
      message: 'Widget session expired',
      description: 'Session JWT presented by the visitor has expired or is unknown.',
    },
    // Page Manager
    PAGE_NOT_FOUND: {
      status: 404,
      group: 'pages',
      message: 'Page not found',
      description: 'No matching page row (id, or slug+locale+published) found.',
    },
    PAGE_SLUG_TAKEN: {
      status: 409,
      group: 'pages',
      message: 'This slug is already used in this locale',
      description: '(slug, locale) pair is already taken by another row.',
    },
    PAGE_PUBLISH_REFUSED: {
      status: 409,
      group: 'pages',
      message: 'This page cannot be published',
      description: 'Page is archived / suspended / already published — publish refused.',
    },
    // Help & Support
    SUPPORT_TICKET_NOT_FOUND: {
      status: 404,
      group: 'support',
      message: 'Ticket not found',
      collapses: ['unknown-ref', 'wrong-token'],
      description:
        'No matching support ticket for the (ref) or (ref, token) lookup, OR the supplied thread token did not verify. Deliberately collapsed to a single generic code so the public surface gives NO existence oracle — an unknown ref and a wrong token return the identical 404 body.',
    },
    SUPPORT_TICKET_TRANSITION_INVALID: {
      status: 409,
      group: 'support',
      message: 'This status change is not allowed',
      description:
        'A ticket status transition was requested that the state machine does not permit from the current status. Emitted by the admin PATCH path.',
    },
    SUPPORT_DRAFT_UNAVAILABLE: {
      status: 503,
      group: 'support',
      message: "Couldn't draft a reply",
      description:
        'The AI draft-generation service is unavailable OR the draft generation call failed / timed out. The admin UI surfaces a graceful "couldn\'t draft a reply" toast and leaves the composer untouched.',
    },
    // Advanced Support
    SUPPORT_REFERENCE_NOT_FOUND: {
      status: 404,
      group: 'advanced-support',
      message: 'Not found',
      description:
        'A referenced support department / category / agent / SLA policy does not exist (or has been archived). Emitted by the admin config CRUD + assignment paths.',
    },
    SUPPORT_SLUG_CONFLICT: {
      status: 409,
      group: 'advanced-support',
      message: 'Already exists',
      description:
        'A support department / category / SLA-priority slug collides with an existing row, OR an SLA policy already exists for that priority.',
    },
    SUPPORT_TRACK_AUTH_FAILED: {
      status: 401,
      group: 'advanced-support',
      message: 'Could not verify this ticket',
      collapses: ['unknown-pair', 'wrong-otp', 'otp-burned'],
      description:
        'The presented (ref, email) pair did not resolve to a track session, OR the supplied OTP did not verify. Collapsed to one generic code so the public track surface gives NO existence oracle.',
      fix: 'Request a new code. A code is burned after 5 wrong attempts, and at most 5 codes are sent per ticket and address per hour.',
    },
    SUPPORT_CHAT_STATE_INVALID: {
      status: 409,
      group: 'advanced-support',
      message: 'This chat action is not allowed now',
      description:
        'A live-chat session action was requested in a state the session machine forbids — claiming an already-claimed session, sending to an ended session, requesting chat on a non-open ticket.',
    },
    // White-label licensing
    LICENSE_INVALID: {
      status: 400,
      group: 'licensing',
      message: 'License is invalid',
      description:
        'The signed license failed verification: malformed token, bad base64, or the Ed25519 signature did not verify against the public key. A forged / tampered license. The deployed validator rejects this offline (no network). Distinct from `LICENSE_EXPIRED` / `LICENSE_REVOKED` (those verify fine but are no longer honoured).',
    },
    LICENSE_EXPIRED: {
      status: 403,
      group: 'licensing',
      message: 'License expired',
      description: 'The license `expiresAt` has passed (after any offline grace).',
    },
    LICENSE_REVOKED: {
      status: 403,
      group: 'licensing',
      message: 'License revoked',
      description:
        'The license has been revoked or suspended by the issuer. The deployed instance enters its offline grace window, then degrades to read-only — never an abrupt hard-stop.',
    },
    LICENSE_ACTIVATION_LIMIT: {
      status: 403,
      group: 'licensing',
      message: 'Activation limit reached',
      description: 'Too many active deployments for one license key (seat / activation limit exceeded).',
    },
    LICENSE_SIGNING_KEY_MISSING: {
      status: 500,
      group: 'licensing',
      message: 'License issuing is not configured',
      description:
        'The platform has no license-signing keypair provisioned (the `license_signing` provider credential is missing). Issuing a license is impossible until an operator seeds the keypair. An issuer wiring/config gap, not a caller error.',
      retryable: false,
    },
    // A request in a transfer coding the server cannot decode (`gzip, chunked`) is a bad request: RFC 9112
    // allows 400 there, and the page counts no 501 (nor any code of its own at 501).
    BAD_REQUEST: {
      status: 400,
      message: 'The request is invalid.',
      roles: ['notImplemented', 'expectationFailed'],
    },
  },
  {
    name: 'Voice SaaS API errors',
    // Unknown routes answer the API's own generic 404; a malformed Idempotency-Key is a bad request like
    // any other.
    rename: { NOT_FOUND: 'RESOURCE_NOT_FOUND', IDEMPOTENCY_KEY_INVALID: 'BAD_REQUEST' },
    // Standard codes this API never sends (`BAD_REQUEST` answers for `NOT_IMPLEMENTED`'s role). The page
    // counts 66 codes: its own 57 and the nine built-ins the API does send (bad request, malformed JSON,
    // unauthenticated, 405, 408, idempotency in flight, 413, 415, internal). Renaming the generic
    // 402/403/409/412/503 to the page's codes of those statuses would give them the built-ins' prose, where
    // the page has "No additional description.".
    omit: [
      'EXPECTATION_FAILED',
      'MISSING_HEADER',
      'INVALID_HEADER',
      'IDEMPOTENCY_KEY_MISSING',
      'API_KEY_MISSING',
      'API_KEY_INVALID',
      'ADMIN_KEY_MISSING',
      'ADMIN_KEY_INVALID',
      'ADMIN_KEY_NOT_CONFIGURED',
      'PAYMENT_REQUIRED',
      'FORBIDDEN',
      'CONFLICT',
      'GONE',
      'PRECONDITION_FAILED',
      'UNPROCESSABLE_ENTITY',
      'COOLDOWN',
      'CONCURRENCY_LIMITED',
      'NOT_IMPLEMENTED',
      'BAD_GATEWAY',
      'SERVICE_UNAVAILABLE',
      'STORE_UNAVAILABLE',
      'GATEWAY_TIMEOUT',
    ],
    groups: {
      auth: { title: 'Auth & identity' },
      validation: { title: 'Validation' },
      resources: { title: 'Resources' },
      workflow: { title: 'Workflow / state' },
      'rate-limiting': { title: 'Rate limiting' },
      forum: { title: 'Community / forum' },
      lifecycle: { title: 'Lifecycle gates' },
      server: { title: 'Server / dependencies' },
      listener: { title: 'Live-call listener' },
      widgets: { title: 'Web widgets' },
      pages: { title: 'Page Manager' },
      support: { title: 'Platform Help & Support' },
      'advanced-support': { title: 'Advanced Support' },
      licensing: { title: 'White-label licensing' },
    },
    docsUrl: 'https://docs.example.com/errors#{code}',
  },
);

/** The page's envelope: `{ success: false, code, error, details }`, field errors as `details.fieldErrors`. */
export const format = commonFormats.code;
