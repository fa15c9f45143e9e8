"""A subset of Logto's Management API (`/api/*` behind a management access token).

    auth                   the bearer-token check; `ensure_management_resource` for bootstrap
    call                   one request as an operation sees it, and a non-default answer
    fields                 typed body, query and path input with Logto's `guard.invalid_input`
    paging                 Logto's `page`/`page_size`, `Total-Number` and `Link`
    queries                the list, count and delete statements the operations need
    applications, users (with user_fields, user_search), resources, sign_in_experience,
    connectors, verification_codes
                           the operations: each `fn(ctx, call)`, run inside one transaction
    openapi                the OpenAPI document served at `/api/swagger.json`, built from
                           openapi_kit, openapi_schemas, openapi_management, openapi_experience

`idp.web.management` turns the operations into Starlette routes.
"""
