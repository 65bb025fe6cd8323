"""What vulture (the dead-code check in .ci/run) cannot see used: names that a framework,
the standard library or a template calls or reads by name. Vulture only looks for the
names; ``_`` stands for any object. Add a name here only with the caller that uses it."""

from typing import Any

_: Any = None

_.__getattr__  # PEP 562: the lazy re-exports of smsim and smsim.client
_.sort_keys  # Flask's JSON provider settings (app.json.*)
_.ensure_ascii
_.row_factory  # sqlite3.Connection
_.trust_env  # requests.Session: never read proxies from the environment
_.binary_location  # selenium's ChromeOptions
_.exc_type  # __exit__(exc_type, exc, tb) and signal handlers' (number, frame)
_.tb
_.frame
_.pytestmark  # pytest: a test module's marks
_.pytest_collect_file  # pytest hooks (the scenario files' collector, the summary)
_.pytest_terminal_summary
_.pytest_generate_tests
_.runtest
_.reportinfo
_.protocol_version  # http.server.BaseHTTPRequestHandler, in tests
_.do_POST
_.log_message
_.log_request
_.to_response  # waitress' ErrorTask calls it (smsim.serving)
_.handsets  # scenario files: ${faker.handsets(N)}
_.clevertap_description  # the inbox's Outcomes page template
_.smsim_set_token_cookie  # flask.g, read back with g.get("smsim_set_token_cookie")
_.updated_at  # Provider mirrors its table's columns
_.to_python  # werkzeug path converters (smsim.routing.RowIdConverter)
_.to_url
_.campaign_url  # the inbox's message page template (ClientOrigin)
_.created_at  # a provider's stored creation time, returned with its row
_.collect  # prometheus_client calls a registered collector's collect(), pytest a Collector's
_.teardown  # hypothesis' RuleBasedStateMachine calls it after each example
_.TestMessageLifecycle  # pytest collects the state machine's TestCase by its name
_.http_processes  # ClientSettings: --workers, read only by its check (SQLite: 1 process)
_.TestMessageLifecycleOnPostgres
