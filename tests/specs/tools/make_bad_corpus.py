# ruff: noqa: E501 - a table of cases: each spec is one line so its marker is easy to read
"""Write the numbered corpus files tests/specs/bad/1NN_*.yaml from the cases listed below.

Each case is one realistic mistake: a short spec with a `⟨` marking the exact character the
diagnostic must point at, and the key phrases the message or its help must contain. The script
computes the `# expect: LINE:COL` line from the marker, so positions are stated by intent, never
copied from loadspec's output. Run it after editing a case; the files it writes are committed.
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

BAD = Path(__file__).resolve().parent.parent / "bad"
MARK = "⟨"
HOST = "host: http://127.0.0.1:8000\n"


def steps(body: str, *, before: str = "", setup: str = "") -> str:
    """A spec with one scenario whose steps are `body` (written at step indentation)."""
    text = HOST + before + "scenarios:\n  - name: shopper\n"
    if setup:
        text += "    setup:\n" + textwrap.indent(textwrap.dedent(setup).strip("\n"), "      ") + "\n"
    text += "    steps:\n" + textwrap.indent(textwrap.dedent(body).strip("\n"), "      ") + "\n"
    return text


def top(before: str) -> str:
    """A spec with `before` at the top level and one plain step."""
    return HOST + textwrap.dedent(before).strip("\n") + "\nscenarios:\n  - name: shopper\n    steps:\n      - get: /products\n"


CASES: list[tuple[str, str, str, str, str]] = []  # (slug, why, spec, phrases, args)


def case(slug: str, why: str, spec: str, phrases: str, args: str = "") -> None:
    CASES.append((slug, why, spec, phrases, args))


# --- YAML ---------------------------------------------------------------------------------------
case("yaml_alias_bomb", "Nested aliases (billion laughs) would expand to a billion values.",
     "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
     "e: &e [⟨*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
     "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n", "aliases expand | beyond")
case("yaml_recursive_alias", "An alias inside its own anchor never ends.",
     HOST + "variables:\n  loop: &me [1, ⟨*me]\nscenarios:\n  - name: s\n    steps:\n      - get: /x\n",
     "*me | inside its own anchor")
case("yaml_deep_nesting", "A JSON body nested 150 levels deep is a runaway structure.",
     steps("- post: /orders\n  json: " + "[" * 95 + "⟨" + "[" * 55 + "]" * 150 + "\n"), "nested more than 100 levels")
case("yaml_unknown_tag", "A YAML tag such as !secret means nothing to loadspec.",
     steps("- name: ⟨!secret login\n  post: /auth/login\n"), "unknown yaml tag '!secret' | remove it")
case("yaml_binary_tag", "!!binary values are bytes, which no key of a spec takes.",
     steps("- post: /upload\n  body: ⟨!!binary aGVsbG8=\n"), "unknown yaml tag | binary")
case("yaml_python_tag", "A Python object tag is refused, not constructed.",
     top("variables:\n  cmd: ⟨!!python/object/apply:os.system [ls]\n"), "unknown yaml tag | python")
case("yaml_int_tag_on_text", "!!int on a word cannot be read as a number.",
     top("load:\n  users: ⟨!!int ten\n"), "'ten' cannot be read as int")
case("yaml_unclosed_quote_far", "The quote opened on the name is closed only lines later, by the next quote.",
     steps('- name: ⟨"list products\n  get: /products\n- get: /cart\n- name: "cart"\n  get: /cart\n'),
     "never closed | runs on over")
case("yaml_unclosed_single_quote", "A single-quoted regex is never closed; the next quote is lines away.",
     steps("- get: /products\n  capture:\n    id: {regex: ⟨'id=(\\d+)}\n- get: /cart\n  assert:\n    - {json: 'items', exists: true}\n"),
     "never closed")
case("yaml_merge_key", "YAML merge keys are not supported.",
     HOST + "variables:\n  base: &base {currency: EUR}\n  shop:\n    ⟨<<: *base\n    page: 1\n"
     "scenarios:\n  - name: s\n    steps:\n      - get: /x\n", "merge keys")
case("yaml_duplicate_header", "The same header is set twice in one mapping.",
     steps("- get: /products\n  headers:\n    Accept: application/json\n    ⟨Accept: text/html\n"), "duplicate key 'accept'")
case("yaml_huge_number", "A 1,200-digit number is a paste accident.",
     top("load:\n  users: ⟨" + "9" * 1200 + "\n"), "1200 digits")
case("yaml_yes_as_verify", "`verify_tls: off` is a boolean in YAML 1.1 only; loadspec asks for true/false.",
     top("defaults:\n  verify_tls: ⟨off\n"), "'off' | boolean false")
case("yaml_time_as_duration", "An unquoted 1:30 is read by YAML as the number 90.",
     top("load:\n  users: 5\n  duration: ⟨1:30\n"), "read by yaml as the number 90")
case("yaml_unclosed_list", "A flow list is never closed.",
     steps("- get: /products\n  assert: ⟨[{status: 200}, {json: items, exists: true}\n- get: /cart\n"), "never closed with ']'")
case("yaml_tab_in_step", "A tab indents a step key.",
     steps("- get: /products\n⟨\tname: list\n"), "tabs")

# --- hosts and URLs -------------------------------------------------------------------------------
case("host_no_scheme", "The host lacks http://, so every request would fail with a DNS error.",
     "host: ⟨127.0.0.1:8088\nscenarios:\n  - name: s\n    steps:\n      - get: /x\n", "no scheme | add http://")
case("host_ftp_scheme", "loadspec sends HTTP only; ftp:// would silently be sent as HTTP.",
     "host: ⟨ftp://files.example.com\nscenarios:\n  - name: s\n    steps:\n      - get: /x\n", "scheme 'ftp' | http://")
case("host_ipv6_unclosed", "An IPv6 address without its closing bracket.",
     "host: http://⟨[::1\nscenarios:\n  - name: s\n    steps:\n      - get: /x\n", "ipv6 | not closed")
case("host_ipv6_no_brackets", "An IPv6 address with a port needs brackets.",
     "host: http://⟨::1:8000\nscenarios:\n  - name: s\n    steps:\n      - get: /x\n", "ipv6 | brackets")
case("host_port_too_big", "Port 99999 does not exist.",
     "host: http://127.0.0.1:⟨99999\nscenarios:\n  - name: s\n    steps:\n      - get: /x\n", "port 99999 | 1 to 65535")
case("host_port_zero", "Port 0 cannot be connected to.",
     "host: http://127.0.0.1:⟨0\nscenarios:\n  - name: s\n    steps:\n      - get: /x\n", "port 0 | 1 to 65535")
case("host_port_word", "The port is a word.",
     "host: http://localhost:⟨http\nscenarios:\n  - name: s\n    steps:\n      - get: /x\n", "not a number")
case("host_no_server", "Only a scheme, no server name.",
     "host: http://⟨\nscenarios:\n  - name: s\n    steps:\n      - get: /x\n", "no server name")
case("host_space", "A space inside the server name.",
     'host: "http://shop⟨ example.com"\nscenarios:\n  - name: s\n    steps:\n      - get: /x\n', "a space | server name")
case("host_words", "A sentence instead of a URL.",
     'host: "⟨the staging server"\nscenarios:\n  - name: s\n    steps:\n      - get: /x\n', "no scheme")
case("host_env_ftp", "An environment's host uses ftp:// (checked without -e).",
     HOST + "environments:\n  staging:\n    host: ⟨ftp://staging.example.com\nscenarios:\n  - name: s\n    steps:\n      - get: /x\n",
     "scheme 'ftp'")
case("host_templated_scheme", "A templated host whose literal scheme is wrong.",
     'host: "⟨ws://{{ env.SHOP_HOST }}"\nscenarios:\n  - name: s\n    steps:\n      - get: /x\n', "scheme 'ws'")
case("url_absolute_ftp", "A step's absolute URL with a scheme loadspec cannot send.",
     steps("- get: ⟨ftp://mirror.example.com/file.zip\n"), "url uses the scheme 'ftp'")
case("url_absolute_bad_port", "A step's absolute URL with port 70000.",
     steps("- get: http://127.0.0.1:⟨70000/health\n"), "port 70000")
case("url_absolute_ipv6", "A step's absolute URL with an unclosed IPv6 bracket.",
     steps("- get: http://⟨[fe80::1/health\n"), "ipv6 | not closed")

# --- headers -------------------------------------------------------------------------------------
case("header_name_space", "A header name with a space.",
     steps("- get: /products\n  headers:\n    X⟨ Request: abc\n"), "a space | header name")
case("header_name_colon", "The colon of `Name: value` typed into the name.",
     steps('- get: /products\n  headers:\n    "Accept⟨:": application/json\n'), "':' | header name")
case("header_name_template", "Templates are not rendered in header names.",
     steps('- get: /products\n  headers:\n    "⟨{{ header_name }}": abc\n'), "not rendered in header names")
case("header_value_newline", "A double-quoted header value with a line break.",
     steps('- get: /products\n  headers:\n    X-Note: "⟨first\\nsecond"\n'), "line break | header value")
case("header_value_block", "A block scalar adds a line break at the end of the value.",
     steps("- get: /products\n  headers:\n    Authorization: ⟨|\n      Bearer abc\n"), "line break | one line")
case("header_value_non_ascii", "Header values are ASCII.",
     steps("- get: /products\n  headers:\n    X-City: Z⟨ürich\n"), "'ü' | ascii | percent-encode")
case("header_value_non_ascii_template", "Non-ASCII text next to a template.",
     steps('- get: /products\n  headers:\n    X-Label: "{{ user_id }}-caf⟨é"\n'), "'é' | ascii")
case("header_default_bad_name", "A bad header name under defaults.",
     "host: http://127.0.0.1:8000\ndefaults:\n  headers:\n    Content⟨/Type: application/json\n"
     "scenarios:\n  - name: s\n    steps:\n      - get: /x\n", "'/' | header name")
case("header_env_bad_name", "A bad header name inside an environment not selected.",
     HOST + "environments:\n  staging:\n    defaults:\n      headers:\n        X⟨ Env: staging\n"
     "scenarios:\n  - name: s\n    steps:\n      - get: /x\n", "a space | header name")
case("header_value_list", "A header value that is a list.",
     steps("- get: /products\n  headers:\n    Accept: ⟨[application/json, text/html]\n"), "expected text | a list")
case("header_value_bool", "A header value that YAML reads as a boolean.",
     steps("- get: /products\n  headers:\n    X-Debug: ⟨true\n"), "expected text | the boolean true | quote")
case("header_unknown_variable", "A header value names an unknown variable.",
     steps('- get: /products\n  headers:\n    Authorization: "Bearer {{ ⟨tokn }}"\n', setup="- post: /auth/login\n  capture:\n    token: {json: access_token}\n"),
     "unknown variable 'tokn' | did you mean 'token'")

# --- templates in keys ---------------------------------------------------------------------------
case("json_key_template", "Templates are not rendered in JSON keys.",
     steps('- post: /cart\n  json:\n    ⟨"{{ product_id }}": 1\n'), "not rendered in keys")
case("json_nested_key_template", "A template in a nested JSON key.",
     steps('- post: /cart\n  json:\n    items:\n      ⟨"{{ sku }}": {qty: 1}\n'), "not rendered in keys")
case("params_key_template", "A template in a query parameter name.",
     steps('- get: /search\n  params:\n    ⟨"{{ field }}": shoes\n'), "not rendered in keys")
case("form_key_template", "A template in a form field name.",
     steps('- post: /login\n  form:\n    ⟨"{{ user_field }}": alice\n'), "not rendered in keys")

# --- built-in template functions ----------------------------------------------------------------
case("builtin_random_int_text", "random_int takes numbers, not text.",
     steps("- get: /products/{{ ⟨random_int('a', 'b') }}\n"), "random_int() needs whole numbers | the text 'a'")
case("builtin_random_int_reversed", "The low bound is above the high bound.",
     steps("- get: /products/{{ ⟨random_int(5, 1) }}\n"), "low bound is above the high bound")
case("builtin_random_int_decimal", "random_int bounds are whole numbers.",
     steps("- get: /products/{{ ⟨random_int(1.5, 9) }}\n"), "whole numbers | 1.5")
case("builtin_random_int_quoted_number", "Quoted numbers are text.",
     steps("- get: /products/{{ ⟨random_int('1', 9) }}\n"), "whole numbers | the text '1'")
case("builtin_random_int_one_literal_bad", "One bound is a variable, the other a text.",
     steps("- get: /products/{{ ⟨random_int('x', user_id) }}\n"), "whole numbers | the text 'x'")
case("builtin_random_string_negative", "A negative length.",
     steps('- post: /users\n  json: {name: "{{ ⟨random_string(-1) }}"}\n'), "random_string(-1) | 0 to 100,000")
case("builtin_random_string_huge", "A length that would fill the memory.",
     steps('- post: /users\n  json: {name: "{{ ⟨random_string(99999999999) }}"}\n'), "random_string(99999999999) | 0 to 100,000")
case("builtin_random_string_text", "The length is text.",
     steps('- post: /users\n  json: {name: "{{ ⟨random_string(\'ten\') }}"}\n'), "whole numbers | 'ten'")
case("builtin_random_string_no_arg", "random_string needs a length.",
     steps('- post: /users\n  json: {name: "{{ ⟨random_string() }}"}\n'), "takes 1 argument | got 0")
case("builtin_random_choice_empty", "Nothing to choose from.",
     steps('- get: /products\n  params: {sort: "{{ ⟨random_choice([]) }}"}\n'), "empty list")
case("builtin_random_choice_text", "random_choice takes a list.",
     steps("- get: /products\n  params: {sort: \"{{ ⟨random_choice('price') }}\"}\n"), "needs a list | 'price'")
case("builtin_random_choice_two_args", "Items passed as separate arguments.",
     steps("- get: /products\n  params: {sort: \"{{ ⟨random_choice('a', 'b') }}\"}\n"), "takes 1 argument | got 2")
case("builtin_now_number", "now() takes a format text.",
     steps('- post: /events\n  json: {at: "{{ ⟨now(5) }}"}\n'), "date format | got 5")
case("builtin_now_bad_directive", "%Q is not a strftime directive.",
     steps("- post: /events\n  json: {at: \"{{ ⟨now('%Q') }}\"}\n"), "%q is not a date format directive")
case("builtin_now_lone_percent", "A lone % at the end of a date format.",
     steps("- post: /events\n  json: {at: \"{{ ⟨now('%Y%') }}\"}\n"), "lone '%'")
case("builtin_uuid_argument", "uuid() takes no argument.",
     steps("- post: /orders\n  headers: {X-Request-Id: \"{{ ⟨uuid(4) }}\"}\n"), "uuid() takes 0 arguments")
case("builtin_timestamp_argument", "timestamp() takes no argument.",
     steps('- post: /events\n  json: {ts: "{{ ⟨timestamp(\'ms\') }}"}\n'), "timestamp() takes 0 arguments")
case("builtin_unknown_randint", "A Jinja/Faker habit: randint.",
     steps("- get: /products/{{ ⟨randint(1, 9) }}\n"), "unknown built-in 'randint()'")
case("builtin_unknown_uuid4", "uuid4 is Python's name; loadspec has uuid().",
     steps('- post: /orders\n  json: {id: "{{ ⟨uuid4() }}"}\n'), "unknown built-in | did you mean 'uuid()'")
case("builtin_nested_call", "A built-in cannot take another built-in.",
     steps("- get: /products/{{ random_string(⟨random_int(1, 5)) }}\n"), "cannot take another built-in")
case("builtin_unterminated_string", "A string argument without its closing quote.",
     steps("- post: /events\n  json: {at: \"{{ now('⟨%Y-%m-%d) }}\"}\n"), "unterminated string argument")
case("builtin_in_variables", "A bad built-in call inside variables:.",
     HOST + "variables:\n  order_ref: \"{{ ⟨random_string(-5) }}\"\nscenarios:\n  - name: s\n    steps:\n      - get: /x\n",
     "random_string(-5)")
case("builtin_missing_comma", "Arguments need a comma between them.",
     steps("- get: /products/{{ random_int(1 ⟨9) }}\n"), "expected ',' or ')'")

# --- templates -----------------------------------------------------------------------------------
case("template_empty", "An empty template.",
     steps("- get: /products/⟨{{ }}\n"), "empty template")
case("template_unclosed_body", "A template in a JSON body is not closed.",
     steps('- post: /cart\n  json: {product: "{{ product_id ⟨}"}\n', setup="- get: /products\n  capture:\n    product_id: {json: 'products[0].id'}\n"),
     "single '}' | write '}}'")
case("template_filter", "Jinja filters are not part of the template language.",
     steps('- get: /search\n  params: {q: "{{ user_id ⟨| upper }}"}\n'), "unexpected text in template")
case("template_arithmetic", "Templates do no arithmetic.",
     steps("- get: /page/{{ iteration ⟨+ 1 }}\n"), "unexpected text in template")
case("template_env_bare", "env on its own is not a value.",
     steps('- get: /products\n  headers: {X-Key: "{{ ⟨env }}"}\n'), "env.name")
case("template_env_deep", "env.NAME has no fields.",
     steps('- get: /products\n  headers: {X-Key: "{{ ⟨env.API.KEY }}"}\n'), "env.name")
case("template_bad_index", "A list index must be a number.",
     steps('- get: /items/{{ items[⟨first] }}\n', setup="- get: /items\n  capture:\n    items: {json: items}\n"),
     "list index like [0]")
case("template_trailing_dot", "A path ends with a dot.",
     steps('- get: /users/{{ user.⟨ }}\n', setup="- get: /me\n  capture:\n    user: {json: '@'}\n"), "expected a key or index")
case("template_single_braces", "Single braces start a YAML mapping: the value must be quoted.",
     steps("- get: /products\n  headers:\n    X-Id: ⟨{{ user_id }}\n"), "must be quoted")
case("template_unknown_in_url", "A typo in a capture name in the URL.",
     steps("- get: /orders\n  capture:\n    order_id: {json: 'orders[0].id'}\n- get: /orders/{{ ⟨orderid }}\n"),
     "unknown variable 'orderid' | did you mean 'order_id'")
case("template_unknown_in_params", "An unknown variable in query parameters.",
     steps('- get: /search\n  params: {page: "{{ ⟨pagee }}"}\n', before="variables:\n  page: 1\n"),
     "unknown variable 'pagee' | did you mean 'page'")
case("template_unknown_in_form", "An unknown variable in a form body.",
     steps('- post: /login\n  form: {user: "{{ ⟨usernme }}"}\n', before="variables:\n  username: alice\n"),
     "unknown variable 'usernme'")
case("template_unknown_in_raw_body", "An unknown variable in a raw body.",
     steps('- post: /notes\n  body: "note for {{ ⟨custmer }}"\n', before="variables:\n  customer: bob\n"),
     "unknown variable 'custmer'")
case("template_unknown_in_default", "A capture default names an unknown variable.",
     steps('- get: /products\n  capture:\n    sort: {json: sort, default: "{{ ⟨fallback }}"}\n'), "unknown variable 'fallback'")
case("template_unknown_in_predicate", "An assertion compares with an unknown variable.",
     steps('- get: /me\n  assert:\n    - {json: id, eq: "{{ ⟨user_idd }}"}\n'), "unknown variable 'user_idd' | did you mean 'user_id'")
case("template_used_in_setup_before", "Setup uses a capture made only in the steps.",
     HOST + "scenarios:\n  - name: s\n    setup:\n      - get: /profile/{{ ⟨profile_id }}\n    steps:\n      - get: /me\n        capture:\n          profile_id: {json: id}\n",
     "used before any step captures it")
case("template_capture_other_scenario", "A capture of another scenario is not visible here.",
     HOST + "scenarios:\n  - name: a\n    steps:\n      - get: /me\n        capture:\n          uid: {json: id}\n  - name: b\n    steps:\n      - get: /users/{{ ⟨uid }}\n",
     "unknown variable 'uid'")
case("template_in_when_var", "when: names a variable no step captures.",
     steps("- get: /cart\n  when: {var: ⟨cart_idd, exists: true}\n", setup="- post: /cart\n  capture:\n    cart_id: {json: id}\n"),
     "unknown variable 'cart_idd' | did you mean 'cart_id'")
case("template_loop_over_unknown", "A loop over a list nobody captured.",
     steps('- loop: {over: "{{ ⟨prodcts }}", as: product}\n  steps:\n    - get: /products/{{ product }}\n',
           setup="- get: /products\n  capture:\n    products: {json: 'products[].id'}\n"),
     "unknown variable 'prodcts'")
case("template_loop_item_outside", "The loop's item is used after the loop.",
     steps('- loop: {count: 2}\n  steps:\n    - get: /a\n- get: /b/{{ ⟨item }}\n'), "unknown variable 'item'")
case("template_variable_named_env", "`env` is a built-in name.",
     HOST + "variables:\n  ⟨env: staging\nscenarios:\n  - name: s\n    steps:\n      - get: /x\n", "'env' is a built-in name")
case("template_variable_named_iteration", "`iteration` is a built-in name.",
     HOST + "variables:\n  ⟨iteration: 1\nscenarios:\n  - name: s\n    steps:\n      - get: /x\n", "'iteration' is a built-in name")
case("template_capture_builtin_name", "A capture cannot overwrite user_id.",
     steps("- get: /me\n  capture:\n    ⟨user_id: {json: id}\n"), "built-in name and cannot be captured")
case("template_var_query_unknown", "A {var:} assertion on an unknown name.",
     steps("- get: /me\n  assert:\n    - {var: ⟨tokn, exists: true}\n", setup="- post: /login\n  capture:\n    token: {json: t}\n"),
     "unknown variable 'tokn'")
case("template_in_header_selector", "A header selector is a fixed name.",
     steps('- get: /me\n  capture:\n    v: {header: ⟨"{{ name }}"}\n', before="variables:\n  name: X-Version\n"),
     "plain name, not a template")
case("template_in_regex_selector", "A regex selector is fixed when the file loads.",
     steps("- get: /me\n  capture:\n    v: {regex: ⟨'id={{ user_id }}'}\n"), "plain name, not a template")
case("template_variable_uses_later", "A variable uses one defined after it.",
     HOST + 'variables:\n  greeting: "hi {{ ⟨who }}"\n  who: bob\nscenarios:\n  - name: s\n    steps:\n      - get: /x\n',
     "unknown variable 'who'")
case("template_host_uses_capture", "The host can use variables and env, not captures.",
     'host: "http://{{ ⟨server }}"\nscenarios:\n  - name: s\n    steps:\n      - get: /x\n        capture:\n          server: {json: s}\n',
     "unknown variable 'server'")

# --- data pools and CSV files --------------------------------------------------------------------
POOL_STEP = '      - post: /auth/login\n        json: {email: "{{ users.email }}"}\n'


def pool(options: str, step: str = POOL_STEP) -> str:
    """A spec with the pool `users` defined by `options` (lines under `users:`)."""
    return (HOST + "data:\n  users:\n" + textwrap.indent(textwrap.dedent(options).strip("\n"), "    ") + "\n"
            "scenarios:\n  - name: shopper\n    steps:\n" + step)


case("csv_delimiter_two_chars", "A delimiter of two characters.",
     pool('csv: data/users.csv\ndelimiter: ⟨";;"'), "exactly one character | ';;'")
case("csv_delimiter_empty", "An empty delimiter.",
     pool('csv: data/users.csv\ndelimiter: ⟨""'), "exactly one character")
case("csv_delimiter_quote", "A double quote cannot separate columns.",
     pool("csv: data/users.csv\ndelimiter: '⟨\"'"), "double quote | cannot separate")
case("csv_delimiter_letter", "A letter as a delimiter.",
     pool("csv: data/users.csv\ndelimiter: ⟨x"), "'x' cannot separate")
case("csv_delimiter_number", "A delimiter given as a number.",
     pool("csv: data/users.csv\ndelimiter: ⟨1"), "expected text | the number 1")
case("csv_semicolon_file_default_delimiter", "A semicolon file read with the default comma: one column only.",
     pool("csv: data/semicolon.csv", '      - post: /auth/login\n        json: {email: "{{ ⟨users.email }}"}\n'),
     "column 'email' is not in semicolon.csv | email;password")
case("csv_ragged_short_row", "A row with fewer fields than the header.",
     pool("csv: data/short_row.csv"), "data/short_row.csv:4:1 1 fields | header has 2")
case("csv_ragged_after_quoted_newline", "A ragged row after a field that spans two lines, at its real line.",
     pool("csv: data/multiline.csv"), "data/multiline.csv:5:1 3 fields | header has 2")
case("csv_duplicate_column", "The header names a column twice.",
     pool("csv: data/dup_columns.csv"), "data/dup_columns.csv:1:1 duplicate columns: email")
case("csv_empty_column_name", "The header has an empty column name.",
     pool("csv: data/empty_column.csv"), "data/empty_column.csv:1:1 empty column name")
case("csv_header_only", "The CSV has a header but no rows.",
     pool("csv: ⟨data/header_only.csv"), "header but no rows")
case("csv_is_folder", "The csv: path is a folder.",
     pool("csv: ⟨data"), "not found")
case("csv_order_typo", "order: uniqe.",
     pool("csv: data/users.csv\norder: ⟨uniqe"), "not allowed here | did you mean 'unique'")
case("csv_scope_typo", "scope: per_user.",
     pool("csv: data/users.csv\nscope: ⟨per_user"), "expected one of: user, iteration")
case("csv_on_exhausted_typo", "on_exhausted: stop.",
     pool("csv: data/users.csv\non_exhausted: ⟨stop"), "expected one of: recycle, stop_user, stop_test")
case("csv_column_typo", "A column name typo.",
     pool("csv: data/users.csv", '      - post: /auth/login\n        json: {email: "{{ ⟨users.emial }}"}\n'),
     "column 'emial' | did you mean 'users.email'")
case("csv_pool_typo", "A pool name typo.",
     pool("csv: data/users.csv", '      - post: /auth/login\n        json: {email: "{{ ⟨user.email }}"}\n'),
     "unknown variable 'user' | did you mean 'users'")
case("csv_pool_not_mapping", "A pool given as a bare path.",
     HOST + "data:\n  users: ⟨data/users.csv\nscenarios:\n  - name: s\n    steps:\n      - get: /x\n", "expected a mapping")
case("csv_pool_name_dash", "A pool name with a dash.",
     HOST + "data:\n  ⟨test-users:\n    csv: data/users.csv\nscenarios:\n  - name: s\n    steps:\n      - get: /x\n",
     "'test-users' is not a valid name")
case("csv_variable_same_as_pool", "A variable and a pool share a name.",
     HOST + "variables:\n  ⟨users: 3\ndata:\n  users:\n    csv: data/users.csv\nscenarios:\n  - name: s\n    steps:\n      - get: /x\n",
     "same name as a data pool")
case("csv_env_missing_file", "An environment's pool names a missing file (checked without -e).",
     HOST + "data:\n  users:\n    csv: data/users.csv\nenvironments:\n  staging:\n    data:\n      users:\n        csv: ⟨data/staging_users.csv\n"
     "scenarios:\n  - name: s\n    steps:\n      - post: /login\n        json: {email: \"{{ users.email }}\"}\n", "not found")

# --- JMESPath --------------------------------------------------------------------------------------
case("jmespath_quoted_capture", "A quoted name in a capture is a field name, not text.",
     steps("- get: /cart\n  capture:\n    items: {json: '⟨\"items\"'}\n"), "field name in jmespath | single quotes")
case("jmespath_quoted_function_arg", 'contains(tags, "sale") compares with the field sale.',
     steps("- get: /products\n  assert:\n    - {json: 'contains(tags, ⟨\"sale\")', eq: true}\n"), '"sale" is a field name')
case("jmespath_double_equals_number", "A number literal needs backticks.",
     steps("- get: /products\n  capture:\n    cheap: {json: 'products[?price < ⟨10].id'}\n"), "backticks")
case("jmespath_dollar", "JSONPath's $ root is not JMESPath.",
     steps("- get: /products\n  capture:\n    first: {json: '⟨$.products[0].id'}\n"), "no '$' root")
case("jmespath_dash_key", "A key with a dash must be quoted.",
     steps("- get: /me\n  capture:\n    ct: {json: 'headers.content⟨-type'}\n"), "dash must be quoted")
case("jmespath_trailing_dot", "An expression that ends with a dot.",
     steps("- get: /me\n  capture:\n    name: {json: 'user.⟨'}\n"), "incomplete")
case("jmespath_unknown_function", "count() is not a JMESPath function.",
     steps("- get: /products\n  assert:\n    - {json: '⟨count(products)', gt: 0}\n"), "unknown function 'count()'")
case("jmespath_len_typo", "lenght() misspelled.",
     steps("- get: /products\n  assert:\n    - {json: '⟨lenght(products)', gt: 0}\n"), "did you mean 'length()'")
case("jmespath_arity", "length() takes one argument.",
     steps("- get: /products\n  assert:\n    - {json: '⟨length(products, items)', gt: 0}\n"), "takes 1 argument | got 2")
case("jmespath_unclosed_filter", "A filter that is never closed.",
     steps("- get: /products\n  capture:\n    ids: {json: 'products[?price > `10`.id⟨'}\n"), "incomplete")
case("jmespath_bad_character", "A character JMESPath does not know.",
     steps("- get: /products\n  capture:\n    ids: {json: 'products⟨#id'}\n"), "unexpected character '#'")
case("jmespath_double_quote_compare", "Double quotes in a comparison make a field name.",
     steps("- get: /orders\n  assert:\n    - {json: \"orders[?state == 'paid'].id\", exists: true}\n    - {json: 'orders[?state == ⟨\"open\"]', empty: true}\n"),
     '"open" is a field name')

# --- regexes ---------------------------------------------------------------------------------------
case("regex_repeat_overflow", "A repeat count the regex engine cannot hold.",
     steps("- get: /page\n  assert:\n    - {body: {matches: 'a⟨{1,99999999999}'}}\n"), "repeat count | too large")
case("regex_capture_overflow", "A capture regex with a repeat count too large.",
     steps("- get: /page\n  capture:\n    code: {regex: 'x⟨{99999999999}'}\n"), "repeat count | too large")
case("regex_nothing_to_repeat", "A regex starting with *.",
     steps("- get: /page\n  assert:\n    - {body: {matches: '⟨*.html'}}\n"), "nothing to repeat")
case("regex_unterminated_set", "A character set is never closed.",
     steps("- get: /page\n  capture:\n    id: {regex: 'id=⟨[0-9+'}\n"), "unterminated character set")
case("regex_bad_escape", "\\p is not a Python regex escape.",
     steps("- get: /page\n  assert:\n    - {body: {not_matches: 'caf⟨\\p{L}'}}\n"), "bad escape")
case("regex_unbalanced_paren", "A closing parenthesis without an opening one.",
     steps("- get: /page\n  capture:\n    id: {regex: 'id=\\d+⟨)'}\n"), "unbalanced parenthesis")
case("regex_header_matches", "A header assertion with a bad regex.",
     steps("- get: /page\n  assert:\n    - {header: Content-Type, matches: 'json⟨('}\n"), "missing )")

# --- predicates and queries ----------------------------------------------------------------------
case("predicate_without_query", "An assertion with a predicate but no query.",
     steps("- get: /products\n  assert:\n    - ⟨{eq: 200}\n"), "needs one query")
case("predicate_typo_equals", "equals is not a predicate; eq is.",
     steps("- get: /products\n  assert:\n    - {json: total, ⟨equals: 3}\n"), "unknown key 'equals' | did you mean 'eq'")
case("predicate_typo_exist", "exist instead of exists.",
     steps("- get: /products\n  assert:\n    - {json: total, ⟨exist: true}\n"), "did you mean 'exists'")
case("predicate_typo_lenght", "lenght instead of length.",
     steps("- get: /products\n  assert:\n    - {json: products, ⟨lenght: 3}\n"), "did you mean 'length'")
case("predicate_typo_contain", "contain instead of contains.",
     steps("- get: /products\n  assert:\n    - {json: tags, ⟨contain: sale}\n"), "did you mean 'contains'")
case("predicate_typo_startswith", "startswith instead of starts_with.",
     steps("- get: /products\n  assert:\n    - {json: name, ⟨startswith: A}\n"), "did you mean 'starts_with'")
case("predicate_gt_text", "gt compares numbers.",
     steps("- get: /products\n  assert:\n    - {json: total, gt: ⟨many}\n"), "'many' is not a number")
case("predicate_length_negative", "A length cannot be negative.",
     steps("- get: /products\n  assert:\n    - {json: products, length: ⟨-1}\n"), "out of range | at least 0")
case("predicate_length_text", "A length is a number or predicates.",
     steps("- get: /products\n  assert:\n    - {json: products, length: ⟨three}\n"), "three")
case("predicate_length_unknown_inner", "An unknown predicate inside length.",
     steps("- get: /products\n  assert:\n    - {json: products, length: {⟨atleast: 1}}\n"), "unknown key 'atleast'")
case("predicate_exists_text", "exists takes true or false.",
     steps("- get: /products\n  assert:\n    - {json: total, exists: ⟨'yes'}\n"), "expected true or false | 'yes'")
case("predicate_empty_number", "empty takes true or false.",
     steps("- get: /products\n  assert:\n    - {json: products, empty: ⟨0}\n"), "expected true or false | the number 0")
case("predicate_type_int", "int is not a JSON type name.",
     steps("- get: /products\n  assert:\n    - {json: total, type: ⟨int}\n"), "expected one of | integer")
case("predicate_type_list", "list is array in JSON.",
     steps("- get: /products\n  assert:\n    - {json: products, type: ⟨list}\n"), "expected one of | array")
case("predicate_in_scalar", "in takes a list.",
     steps("- get: /orders/1\n  assert:\n    - {json: state, in: ⟨paid}\n"), "expected a list | 'paid'")
case("predicate_not_in_scalar", "not_in takes a list.",
     steps("- get: /orders/1\n  assert:\n    - {json: state, not_in: ⟨3}\n"), "expected a list | the number 3")
case("predicate_matches_number", "matches takes a regex text.",
     steps("- get: /orders/1\n  assert:\n    - {json: code, matches: ⟨42}\n"), "expected text | the number 42")
case("predicate_subset_text", "subset takes a mapping.",
     steps("- get: /me\n  assert:\n    - {json: '@', subset: ⟨admin}\n"), "expected a mapping | 'admin'")
case("predicate_schema_number", "schema takes a JSON Schema or a file path.",
     steps("- get: /me\n  assert:\n    - {json: '@', schema: ⟨5}\n"), "json schema object or a path")
case("predicate_schema_bad_type", "An inline JSON Schema with a misspelled type.",
     steps("- get: /me\n  assert:\n    - {json: '@', schema: {type: ⟨objekt}}\n"), "invalid json schema | objekt")
case("predicate_schema_file_missing", "A schema file that does not exist.",
     steps("- get: /me\n  assert:\n    - {json: '@', schema: ⟨schemas/me.json}\n"), "schema file 'schemas/me.json' not found")
case("predicate_status_word", "A status written as a word.",
     steps("- get: /me\n  assert:\n    - status: ⟨ok\n"), "'ok' is not a status")
case("predicate_status_class_6xx", "There is no 6xx status class.",
     steps("- get: /me\n  assert:\n    - status: ⟨6xx\n"), "'6xx' is not a status")
case("predicate_status_out_of_range", "Status 999 does not exist.",
     steps("- get: /me\n  assert:\n    - status: ⟨999\n"), "999")
case("predicate_status_list_word", "A status list with a word in it.",
     steps("- get: /me\n  assert:\n    - status: [200, ⟨created]\n"), "'created' is not a status")
case("predicate_status_sibling", "A predicate next to status: instead of inside it.",
     steps("- get: /me\n  assert:\n    - {status: 200, ⟨ne: 500}\n"), "must go inside status")
case("predicate_duration_bare", "duration needs a comparison.",
     steps("- get: /me\n  assert:\n    - duration: ⟨800ms\n"), "duration needs a comparison")
case("predicate_duration_unit", "A duration predicate with a bad unit.",
     steps("- get: /me\n  assert:\n    - duration: {lt: ⟨2 secs}\n"), "not a duration")
case("predicate_duration_matches", "A duration cannot be matched with a regex.",
     steps("- get: /me\n  assert:\n    - duration: {⟨matches: '^1'}\n"), "'matches' does not apply to duration")
case("predicate_empty_mapping", "A query with an empty predicate mapping.",
     steps("- get: /me\n  assert:\n    - duration: ⟨{}\n"), "no predicate")
case("predicate_two_queries", "Two queries in one assertion.",
     steps("- get: /me\n  assert:\n    - {json: id, ⟨header: X-Id, exists: true}\n"), "exactly one query")
case("predicate_assert_not_list", "assert: is a list of assertions.",
     steps("- get: /me\n  assert:\n    ⟨status: 200\n"), "expected a list")
case("predicate_when_on_status", "when: tests a variable, not the response.",
     steps("- get: /me\n  when: {⟨status: 200}\n"), "when: tests a variable")
case("predicate_when_unknown_predicate", "An unknown predicate in when.",
     steps("- get: /me\n  when: {var: user_id, ⟨greater: 3}\n"), "unknown key 'greater'")
case("capture_pick_typo", "pick: any is not an option.",
     steps("- get: /products\n  capture:\n    id: {json: 'products[].id', pick: ⟨any}\n"), "expected one of: first, last, random")
case("capture_no_query", "A capture with only a default.",
     steps("- get: /products\n  capture:\n    id: ⟨{default: 1}\n"), "needs one query")
case("capture_two_queries", "A capture with two queries.",
     steps("- get: /products\n  capture:\n    id: {json: id, ⟨regex: 'id=(\\d+)'}\n"), "exactly one query")
case("capture_bare_string", "A capture written as a bare expression.",
     steps("- get: /products\n  capture:\n    id: ⟨'products[0].id'\n"), "expected a mapping")
case("capture_predicate_inside", "A predicate inside a capture.",
     steps("- get: /products\n  capture:\n    id: {json: id, ⟨eq: 3}\n"), "unknown key 'eq' | capture 'id'")
case("capture_name_dash", "A capture name with a dash.",
     steps("- get: /products\n  capture:\n    ⟨product-id: {json: id}\n"), "'product-id' is not a valid name | product_id")
case("capture_list", "capture: is a mapping of names, not a list.",
     steps("- get: /products\n  capture:\n    ⟨- id: {json: id}\n"), "expected a mapping")
case("capture_header_selector_list", "A header selector given as a list.",
     steps("- get: /products\n  capture:\n    loc: {header: ⟨[Location]}\n"), "expected text")

# --- durations and other units -------------------------------------------------------------------
case("unit_duration_words", "A duration in words.",
     top("load:\n  users: 5\n  duration: ⟨10 seconds\n"), "not a duration")
case("unit_duration_min", "min is not a unit; m is.",
     top("load:\n  users: 5\n  duration: ⟨5min\n"), "not a duration")
case("unit_duration_negative", "A negative duration.",
     top("load:\n  users: 5\n  duration: ⟨-30s\n"), "not a duration")
case("unit_duration_two_dots", "A number with two dots.",
     top("load:\n  users: 5\n  duration: ⟨1.5.3s\n"), "not a duration")
case("unit_duration_compound", "1m30s is not supported; write 90s.",
     top("load:\n  users: 5\n  duration: ⟨1m30s\n"), "not a duration")
case("unit_timeout_word", "A timeout written as a word.",
     top("defaults:\n  timeout: ⟨fast\n"), "not a duration")
case("unit_timeout_bool", "A timeout of true.",
     top("defaults:\n  timeout: ⟨true\n"), "true")
case("unit_step_timeout_days", "d is not a unit.",
     steps("- get: /report\n  timeout: ⟨1d\n"), "not a duration")
case("unit_pacing_word", "A pacing in words.",
     top("load:\n  users: 2\n  iterations: 3\n  pacing: ⟨2 sec\n"), "not a duration")
case("unit_stage_duration", "A stage duration in hours words.",
     top("load:\n  stages:\n    - {duration: ⟨1 hour, users: 10}\n"), "not a duration")
case("unit_think_dash_range", "A think time range written with a dash.",
     steps("- get: /products\n  think_time: ⟨1s-3s\n"), "not a duration")
case("unit_think_reversed", "A think time range that ends before it starts.",
     top("defaults:\n  think_time: ⟨3s..1s\n"), "ends before it starts")
case("unit_think_open_range", "A think time range without its end.",
     steps("- get: /products\n  think_time: ⟨1s..\n"), "not a duration")
case("unit_think_negative", "A negative think time.",
     steps("- get: /products\n  think_time: ⟨-1\n"), "negative")
case("unit_duration_ms_typo", "msec is not a unit.",
     steps("- get: /products\n  assert:\n    - duration: {lt: ⟨800msec}\n"), "not a duration")

# --- load ----------------------------------------------------------------------------------------
case("load_users_text", "users given as a word.",
     top("load:\n  users: ⟨ten\n"), "expected a whole number | 'ten'")
case("load_users_decimal", "users must be a whole number.",
     top("load:\n  users: ⟨2.5\n"), "expected a whole number | 2.5")
case("load_users_negative", "A negative number of users.",
     top("load:\n  users: ⟨-3\n"), "out of range | at least 0")
case("load_spawn_rate_zero", "A spawn rate of 0 never starts anyone.",
     top("load:\n  users: 3\n  spawn_rate: ⟨0\n"), "out of range | more than 0")
case("load_spawn_rate_text", "A spawn rate in words.",
     top("load:\n  users: 3\n  spawn_rate: ⟨fast\n"), "expected a number | 'fast'")
case("load_iterations_quoted", "iterations as quoted text.",
     top("load:\n  iterations: ⟨'3'\n"), "expected a whole number")
case("load_iterations_zero", "Zero iterations would do nothing.",
     top("load:\n  iterations: ⟨0\n"), "out of range")
case("load_stages_and_duration", "stages together with users/duration.",
     top("load:\n  duration: 1m\n  ⟨stages:\n    - {duration: 30s, users: 5}\n"), "either stages or users/duration")
case("load_stage_missing_users", "A stage without users.",
     top("load:\n  stages:\n    - ⟨{duration: 30s}\n"), "missing required key 'users'")
case("load_stage_typo", "A stage key typo.",
     top("load:\n  stages:\n    - {duration: 30s, ⟨user: 5}\n"), "unknown key 'user' | did you mean 'users'")
case("load_stages_mapping", "stages: is a list.",
     top("load:\n  stages:\n    ⟨ramp: {duration: 30s, users: 5}\n"), "expected a list")
case("load_not_mapping", "load: given as a number.",
     top("load: ⟨10\n"), "expected a mapping | the number 10")

# --- thresholds ----------------------------------------------------------------------------------
case("threshold_percentile_zero", "p0 is not a percentile.",
     top("thresholds:\n  - ⟨p0 < 1s\n"), "percentile p0")
case("threshold_percentile_over", "p101 is above 100.",
     top("thresholds:\n  - ⟨p101 < 1s\n"), "percentile p101")
case("threshold_equals_sign", "A single = is not a comparison.",
     top("thresholds:\n  - ⟨error_rate = 0\n"), "needs a comparison")
case("threshold_no_number", "A comparison without a number.",
     top("thresholds:\n  - ⟨p95 < fast\n"), "p95 < fast")
case("threshold_rate_over_100", "A rate above 100%.",
     top("thresholds:\n  - ⟨error_rate < 150%\n"), "above 100%")
case("threshold_rate_ms", "A rate in milliseconds.",
     top("thresholds:\n  - ⟨error_rate < 5ms\n"), "not a unit for error_rate")
case("threshold_time_percent", "A response time in percent.",
     top("thresholds:\n  - ⟨p95 < 5%\n"), "not a time unit")
case("threshold_rps_unit", "rps takes a plain number.",
     top("thresholds:\n  - ⟨rps > 5/s\n"), "5/s")
case("threshold_requests_unit", "requests takes a plain number.",
     top("thresholds:\n  - ⟨requests >= 100k\n"), "plain number")
case("threshold_metric_typo", "p95_latency is not a metric.",
     top("thresholds:\n  - ⟨latency < 1s\n"), "unknown threshold metric 'latency'")
case("threshold_avg_typo", "average is avg.",
     top("thresholds:\n  - ⟨average < 200ms\n"), "unknown threshold metric 'average' | avg")
case("threshold_failure_rate", "failure_rate is error_rate.",
     top("thresholds:\n  - ⟨failure_rate < 1%\n"), "did you mean 'error_rate'")
case("threshold_mapping_without_check", "A threshold mapping without check:.",
     top("thresholds:\n  - ⟨{step: login, abort_on_fail: true}\n"), "missing required key 'check'")
case("threshold_check_typo", "chek instead of check.",
     top("thresholds:\n  - {⟨chek: p95 < 1s}\n"), "unknown key 'chek'")
case("threshold_abort_text", "abort_on_fail is true or false.",
     top("thresholds:\n  - {check: p95 < 1s, abort_on_fail: ⟨sometimes}\n"), "expected true or false")
case("threshold_delay_word", "delay_abort_eval in words.",
     top("thresholds:\n  - {check: p95 < 1s, abort_on_fail: true, delay_abort_eval: ⟨soon}\n"), "not a duration")
case("threshold_step_typo", "A threshold names a step that does not exist.",
     HOST + "thresholds:\n  - {check: p95 < 1s, step: ⟨logn}\nscenarios:\n  - name: s\n    steps:\n      - name: login\n        post: /login\n",
     "no step is named 'logn' | did you mean 'login'")
case("threshold_step_number", "A threshold step given as a number.",
     top("thresholds:\n  - {check: p95 < 1s, step: ⟨3}\n"), "expected text | the number 3")
case("threshold_not_list", "thresholds: is a list.",
     top("thresholds:\n  ⟨p95: 1s\n"), "expected a list")
case("threshold_env_bad", "A bad threshold inside an environment that -e does not select.",
     HOST + "environments:\n  staging:\n    thresholds:\n      - ⟨p95x < 3s\n  production:\n    host: https://shop.example.com\n"
     "scenarios:\n  - name: s\n    steps:\n      - get: /x\n", "unknown threshold metric 'p95x'", "-e production")
case("threshold_env_unselected", "A bad threshold inside an environment, no -e at all.",
     HOST + "environments:\n  ci:\n    thresholds:\n      - ⟨error_rate < 5\n"
     "scenarios:\n  - name: s\n    steps:\n      - get: /x\n", "error_rate 5 is above 1")

# --- environments --------------------------------------------------------------------------------
ENV_TAIL = "scenarios:\n  - name: s\n    steps:\n      - get: /x\n"
case("env_unknown_selected", "-e names an environment that does not exist.",
     HOST + "⟨environments:\n  staging: {host: https://staging.example.com}\n" + ENV_TAIL, "no environment named 'stagin' | did you mean 'staging'",
     "-e stagin")
case("env_none_defined", "-e given but the spec has no environments.",
     HOST + ENV_TAIL, "1:1 no environment named 'ci' | add an environments", "-e ci")
case("env_scenarios_inside", "Scenarios cannot be overridden per environment.",
     HOST + "environments:\n  staging:\n    ⟨scenarios: []\n" + ENV_TAIL, "unknown key 'scenarios'")
case("env_typo_variables", "variabels in an environment.",
     HOST + "environments:\n  staging:\n    ⟨variabels: {currency: USD}\n" + ENV_TAIL, "did you mean 'variables'")
case("env_not_mapping", "An environment given as a URL.",
     HOST + "environments:\n  staging: ⟨https://staging.example.com\n" + ENV_TAIL, "expected a mapping")
case("env_load_wrong_type", "An environment's load with a word for users (no -e).",
     HOST + "environments:\n  staging:\n    load: {users: ⟨lots}\n" + ENV_TAIL, "expected a whole number | 'lots'")
case("env_duration_bad", "An environment's duration that is not one (no -e).",
     HOST + "environments:\n  soak:\n    load: {users: 2, duration: ⟨8 hours}\n" + ENV_TAIL, "not a duration")
case("env_variable_template", "An environment's variable uses an unknown built-in (no -e).",
     HOST + "environments:\n  staging:\n    variables:\n      run_id: \"{{ ⟨uuid4() }}\"\n" + ENV_TAIL, "unknown built-in 'uuid4()'")
case("env_host_no_scheme", "An environment's host without a scheme (no -e).",
     HOST + "environments:\n  local:\n    host: ⟨localhost:8000\n" + ENV_TAIL, "no scheme | http://localhost:8000")
case("env_name_dash_ok_but_timeout_bad", "An environment's default timeout that is not a duration (other env selected).",
     HOST + "environments:\n  staging:\n    host: https://staging.example.com\n  slow:\n    defaults: {timeout: ⟨forever}\n" + ENV_TAIL,
     "not a duration", "-e staging")
case("env_list", "environments: as a list.",
     HOST + "environments:\n  ⟨- staging\n" + ENV_TAIL, "expected a mapping")

# --- loops and groups ----------------------------------------------------------------------------
case("loop_count_text", "A loop count in words.",
     steps("- loop: {count: ⟨three}\n  steps:\n    - get: /a\n"), "expected a whole number | 'three'")
case("loop_count_negative", "A negative loop count.",
     steps("- loop: {count: ⟨-2}\n  steps:\n    - get: /a\n"), "out of range")
case("loop_neither", "A loop with neither count nor over.",
     steps("- ⟨loop: {as: item}\n  steps:\n    - get: /a\n"), "either count: n or over")
case("loop_unknown_key", "A loop key typo.",
     steps("- loop: {⟨times: 3}\n  steps:\n    - get: /a\n"), "unknown key 'times'")
case("loop_as_dash", "A loop variable with a dash.",
     steps('- loop: {over: "{{ items }}", as: ⟨an-item}\n  steps:\n    - get: /a\n', before="variables:\n  items: [1, 2]\n"),
     "an-item")
case("loop_over_literal_list", "over: takes one template naming a list.",
     steps("- loop: {over: ⟨[1, 2, 3]}\n  steps:\n    - get: /a\n"), "expected text")
case("loop_over_text_template", "over: with text around the template.",
     steps('- loop: {over: ⟨"ids: {{ ids }}"}\n  steps:\n    - get: /a\n', before="variables:\n  ids: [1, 2]\n"), "exactly one template")
case("loop_timeout", "A request option on a loop step.",
     steps("- loop: {count: 2}\n  ⟨timeout: 5s\n  steps:\n    - get: /a\n"), "'timeout' does not apply to a loop")
case("loop_steps_mapping", "A loop's steps given as a mapping.",
     steps("- loop: {count: 2}\n  steps:\n    ⟨get: /a\n"), "expected a list")
case("loop_steps_empty", "A loop with no steps.",
     steps("- loop: {count: 2}\n  steps: ⟨[]\n"), "must not be empty")
case("group_and_get", "A group with a request in it.",
     steps("- group: checkout\n  ⟨post: /checkout\n  steps:\n    - get: /cart\n"), "either a request, a loop or a group")
case("group_without_steps", "A group without steps.",
     steps("- ⟨group: checkout\n"), "a group needs steps")
case("group_name_list", "A group name that is a list.",
     steps("- group: ⟨[checkout]\n  steps:\n    - get: /cart\n"), "expected text")
case("group_headers", "Headers on a group step.",
     steps("- group: checkout\n  ⟨headers: {X-A: b}\n  steps:\n    - get: /cart\n"), "'headers' does not apply to a group")
case("group_and_loop", "A step that is both a group and a loop.",
     steps("- ⟨group: checkout\n  loop: {count: 2}\n  steps:\n    - get: /cart\n"), "either a request, a loop or a group")
case("request_with_steps", "A request with steps: under it.",
     steps("- get: /cart\n  ⟨steps:\n    - get: /a\n"), "only loop and group steps have steps")
case("nested_loop_bad_inner", "A mistake inside a loop inside a group.",
     steps("- group: browse\n  steps:\n    - loop: {count: 2}\n      steps:\n        - get: /products\n          ⟨asserts: [{status: 200}]\n"),
     "unknown key 'asserts' | did you mean 'assert'")

# --- bodies and uploads --------------------------------------------------------------------------
case("body_json_and_form", "A step with a JSON and a form body.",
     steps("- post: /login\n  json: {user: a}\n  ⟨form: {user: a}\n"), "at most one body")
case("body_form_and_body", "A step with a form and a raw body.",
     steps("- post: /login\n  form: {user: a}\n  ⟨body: user=a\n"), "at most one body")
case("body_files_missing", "An upload file that does not exist.",
     steps("- post: /upload\n  files:\n    avatar: ⟨photos/me.png\n"), "upload file 'photos/me.png' not found")
case("body_files_typo", "A files part with a typo.",
     steps("- post: /upload\n  files:\n    avatar: {⟨fil: data/users.csv}\n"), "unknown key 'fil'")
case("body_form_nested", "A form value that is a mapping.",
     steps("- post: /login\n  form:\n    user: ⟨{name: a}\n"), "expected")
case("body_params_list", "params: is a mapping, not a list.",
     steps("- get: /search\n  params: ⟨[q, shoes]\n"), "expected a mapping")
case("body_headers_list", "headers: is a mapping, not a list.",
     steps("- get: /search\n  headers:\n    ⟨- Accept: application/json\n"), "expected a mapping")
case("body_on_get_number", "A raw body that is a mapping.",
     steps("- post: /notes\n  body: ⟨{text: hello}\n"), "expected text")

# --- typos of keys ---------------------------------------------------------------------------------
for slug, text, phrase in [
    ("top_versoin", "⟨versoin: 1\n", "did you mean 'version'"),
    ("top_nmae", "⟨nmae: checkout\n", "did you mean 'name'"),
    ("top_variabels", "⟨variabels: {a: 1}\n", "did you mean 'variables'"),
    ("top_defualts", "⟨defualts: {timeout: 5s}\n", "did you mean 'defaults'"),
    ("top_laod", "⟨laod: {users: 5}\n", "did you mean 'load'"),
    ("top_tresholds", "⟨tresholds: [p95 < 1s]\n", "did you mean 'thresholds'"),
    ("top_enviroments", "⟨enviroments: {ci: {}}\n", "did you mean 'environments'"),
    ("top_cilent", "⟨cilent: fast\n", "did you mean 'client'"),
    ("top_datas", "⟨datas: {}\n", "did you mean 'data'"),
    ("defaults_header", "defaults:\n  ⟨header: {Accept: text/html}\n", "did you mean 'headers'"),
    ("defaults_timout", "defaults:\n  ⟨timout: 5s\n", "did you mean 'timeout'"),
    ("defaults_verify_ssl", "defaults:\n  ⟨verify_ssl: false\n", "did you mean 'verify_tls'"),
    ("defaults_allow_redirect", "defaults:\n  ⟨allow_redirect: false\n", "did you mean 'allow_redirects'"),
    ("defaults_thinktime", "defaults:\n  ⟨thinktime: 1s\n", "did you mean 'think_time'"),
    ("pool_cvs", "data:\n  users:\n    ⟨cvs: data/users.csv\n", "unknown key 'cvs'"),
    ("pool_delimeter", "data:\n  users:\n    csv: data/users.csv\n    ⟨delimeter: ';'\n", "did you mean 'delimiter'"),
    ("pool_ordr", "data:\n  users:\n    csv: data/users.csv\n    ⟨ordr: random\n", "did you mean 'order'"),
    ("pool_on_exhaust", "data:\n  users:\n    csv: data/users.csv\n    ⟨on_exhaust: stop_test\n", "did you mean 'on_exhausted'"),
    ("load_user", "load:\n  ⟨user: 5\n", "did you mean 'users'"),
    ("load_spawnrate", "load:\n  users: 5\n  ⟨spawnrate: 1\n", "did you mean 'spawn_rate'"),
    ("load_duraton", "load:\n  users: 5\n  ⟨duraton: 1m\n", "did you mean 'duration'"),
    ("load_iteration", "load:\n  ⟨iteration: 3\n", "did you mean 'iterations'"),
    ("load_pacng", "load:\n  iterations: 3\n  ⟨pacng: 1s\n", "did you mean 'pacing'"),
    ("load_stage", "load:\n  ⟨stage: []\n", "did you mean 'stages'"),
]:
    case("typo_" + slug, f"A typo in a key: {slug.split('_', 1)[1]}.", top(text), "unknown key | " + phrase)

for slug, lines, phrase in [
    ("header", "- get: /products\n  ⟨header: {Accept: text/html}\n", "did you mean 'headers'"),
    ("param", "- get: /products\n  ⟨param: {page: 2}\n", "did you mean 'params'"),
    ("captures", "- get: /products\n  ⟨captures: {id: {json: id}}\n", "did you mean 'capture'"),
    ("wen", "- get: /products\n  ⟨wen: {var: user_id, exists: true}\n", "did you mean 'when'"),
    ("thinktime", "- get: /products\n  ⟨thinktime: 1s\n", "did you mean 'think_time'"),
    ("timout", "- get: /products\n  ⟨timout: 2s\n", "did you mean 'timeout'"),
    ("on_failure", "- get: /products\n  ⟨on_failure: continue\n", "did you mean 'on_fail'"),
    ("probabilty", "- get: /products\n  ⟨probabilty: 0.5\n", "did you mean 'probability'"),
    ("naem", "- ⟨naem: list\n  get: /products\n", "did you mean 'name'"),
    ("jsn_body", "- post: /cart\n  ⟨jsn: {id: 1}\n", "did you mean 'json'"),
    ("verify", "- get: /products\n  ⟨verify: false\n", "unknown key 'verify'"),
    ("redirects", "- get: /products\n  ⟨redirects: false\n", "unknown key 'redirects'"),
    ("fom_body", "- post: /login\n  ⟨fom: {a: 1}\n", "did you mean 'form'"),
    ("capture_jsn", "- get: /products\n  capture:\n    id: {⟨jsn: id}\n", "unknown key 'jsn'"),
    ("capture_pik", "- get: /products\n  capture:\n    id: {json: 'ids', ⟨pik: random}\n", "did you mean 'pick'"),
    ("capture_defualt", "- get: /products\n  capture:\n    id: {json: id, ⟨defualt: 0}\n", "did you mean 'default'"),
    ("assert_jsn", "- get: /products\n  assert:\n    - {⟨jsn: id, exists: true}\n", "unknown key 'jsn'"),
    ("assert_stauts", "- get: /products\n  assert:\n    - ⟨stauts: 200\n", "did you mean 'status'"),
    ("assert_heder", "- get: /products\n  assert:\n    - {⟨heder: Content-Type, exists: true}\n", "did you mean 'header'"),
    ("loop_cout", "- loop: {⟨cout: 3}\n  steps:\n    - get: /a\n", "did you mean 'count'"),
    ("loop_ovr", "- loop: {⟨ovr: \"{{ user_id }}\"}\n  steps:\n    - get: /a\n", "did you mean 'over'"),
    ("method_gett", "- ⟨gett: /products\n", "did you mean 'get'"),
    ("method_upper", "- ⟨GET: /products\n", "did you mean 'get'"),
    ("method_fetch", "- ⟨fetch: /products\n", "method key"),
]:
    case("typo_step_" + slug, f"A typo in a step key: {slug}.", steps(lines), phrase)

case("typo_scenario_weigth", "weigth instead of weight.",
     HOST + "scenarios:\n  - name: s\n    ⟨weigth: 2\n    steps:\n      - get: /x\n", "did you mean 'weight'")
case("typo_scenario_step", "step instead of steps.",
     HOST + "scenarios:\n  - name: s\n    ⟨step:\n      - get: /x\n", "unknown key 'step' | did you mean 'steps'")
case("typo_scenario_set_up", "set_up instead of setup.",
     HOST + "scenarios:\n  - name: s\n    ⟨set_up:\n      - get: /login\n    steps:\n      - get: /x\n", "did you mean 'setup'")
case("typo_stage_spawn", "spawn-rate with a dash in a stage.",
     top("load:\n  stages:\n    - {duration: 30s, users: 5, ⟨spawn-rate: 1}\n"), "unknown key 'spawn-rate' | spawn_rate")

# --- wrong types and values ------------------------------------------------------------------------
case("type_scenarios_mapping", "scenarios: as a mapping.",
     HOST + "scenarios:\n  ⟨shopper:\n    steps:\n      - get: /x\n", "expected a list")
case("type_steps_mapping", "steps: as a mapping.",
     HOST + "scenarios:\n  - name: s\n    steps:\n      ⟨get: /x\n", "expected a list")
case("type_variables_list", "variables: as a list.",
     HOST + "variables:\n  ⟨- currency: EUR\nscenarios:\n  - name: s\n    steps:\n      - get: /x\n", "expected a mapping")
case("type_weight_text", "A weight in words.",
     HOST + "scenarios:\n  - name: s\n    weight: ⟨heavy\n    steps:\n      - get: /x\n", "expected a whole number | 'heavy'")
case("type_weight_negative", "A negative weight.",
     HOST + "scenarios:\n  - name: s\n    weight: ⟨-1\n    steps:\n      - get: /x\n", "out of range")
case("type_probability_text", "A probability in words.",
     steps("- get: /products\n  probability: ⟨half\n"), "expected a number | 'half'")
case("type_probability_percent", "A probability written as a percentage.",
     steps("- get: /products\n  probability: ⟨50%\n"), "expected a number")
case("type_probability_negative", "A negative probability.",
     steps("- get: /products\n  probability: ⟨-0.1\n"), "out of range")
case("type_on_fail_typo", "on_fail: skip is not an option.",
     steps("- get: /products\n  on_fail: ⟨skip\n"), "expected one of | continue")
case("type_verify_tls_text", "verify_tls as quoted text.",
     steps('- get: /products\n  verify_tls: ⟨"false"\n'), "expected true or false | 'false'")
case("type_allow_redirects_number", "allow_redirects as a number.",
     steps("- get: /products\n  allow_redirects: ⟨0\n"), "expected true or false | the number 0")
case("type_url_number", "A URL that is a number.",
     steps("- get: ⟨404\n"), "expected text | the number 404")
case("type_url_empty", "A method key with no URL.",
     steps("- get:⟨\n  name: nothing\n"), "expected text | nothing")
case("type_url_list", "A URL given as a list.",
     steps("- get: ⟨[/a, /b]\n"), "expected text | a list")
case("type_name_number", "A scenario name that YAML reads as a number.",
     HOST + "scenarios:\n  - name: ⟨2024\n    steps:\n      - get: /x\n", "expected text | the number 2024")
case("type_version_text", "version: one.",
     top("version: ⟨one\n"), "one")
case("type_client_typo", "client: fasthttp is not an option.",
     top("client: ⟨fasthttp\n"), "expected one of: fast, requests")
case("type_json_capture_number", "A JMESPath given as a number.",
     steps("- get: /products\n  capture:\n    id: {json: ⟨0}\n"), "expected text | the number 0")
case("type_header_query_number", "A header name given as a number.",
     steps("- get: /products\n  assert:\n    - {header: ⟨404, exists: true}\n"), "expected text")
case("type_host_list", "host: as a list.",
     "host: ⟨[http://a, http://b]\nscenarios:\n  - name: s\n    steps:\n      - get: /x\n", "expected text | a list")
case("type_step_is_text", "A step written as a bare URL.",
     HOST + "scenarios:\n  - name: s\n    steps:\n      - ⟨/products\n", "expected a mapping")
case("type_assert_item_text", "An assertion written as text.",
     steps("- get: /products\n  assert:\n    - ⟨status 200\n"), "expected a mapping")
case("misc_duplicate_scenario", "Two scenarios with the same name.",
     HOST + "scenarios:\n  - name: s\n    steps:\n      - get: /x\n  - name: ⟨s\n    steps:\n      - get: /y\n", "duplicate scenario name 's'")
case("misc_empty_scenarios", "No scenarios at all.",
     HOST + "scenarios: ⟨[]\n", "must not be empty")
case("misc_step_two_methods", "A step with get and post.",
     steps("- get: /cart\n  ⟨post: /cart\n"), "two method keys")
case("misc_step_no_method", "A step with only a name and headers.",
     steps("- ⟨name: list\n  headers: {Accept: text/html}\n"), "needs exactly one method key")

case("builtin_argument_from_variable", "A built-in's argument is a variable whose value it cannot use.",
     HOST + 'variables:\n  length: twelve\n  code: "{{ ⟨random_string(length) }}"\nscenarios:\n  - name: s\n    steps:\n      - get: /x\n',
     "needs whole numbers | 'twelve' | from 'length' in variables")
case("builtin_bounds_from_variables", "random_int's bounds come from variables, in the wrong order.",
     HOST + 'variables:\n  low: 10\n  high: 1\n  page: "{{ ⟨random_int(low, high) }}"\nscenarios:\n  - name: s\n    steps:\n      - get: /x\n',
     "random_int(10, 1) | low bound is above")


_ELSEWHERE = re.compile(r"^(?P<where>(?:\S+:)?\d+:\d+) (?P<phrases>.+)$")


def render(why: str, spec: str, phrases: str, args: str) -> str:
    """The corpus file: the comment header with `# expect:` computed from the marker."""
    header = [f"# {why}"] + ([f"# args: {args}"] if args else [])
    elsewhere = _ELSEWHERE.match(phrases)
    if elsewhere:
        assert MARK not in spec, why
        header.append(f"# expect: {elsewhere['where']} {elsewhere['phrases']}")
        return "\n".join(header) + "\n" + spec
    assert spec.count(MARK) == 1, f"{why}: one {MARK} marks the mistake"
    lines = spec.split("\n")
    row = next(i for i, line in enumerate(lines) if MARK in line)
    col = lines[row].index(MARK) + 1
    header.append(f"# expect: {row + 1 + len(header) + 1}:{col} {phrases}")
    return "\n".join(header) + "\n" + spec.replace(MARK, "")


def main() -> int:
    for old in BAD.glob("[1-9][0-9][0-9]_*.yaml"):
        old.unlink()
    for number, (slug, why, spec, phrases, args) in enumerate(CASES, start=100):
        (BAD / f"{number}_{slug}.yaml").write_text(render(why, spec, phrases, args), encoding="utf-8")
    print(f"wrote {len(CASES)} files, {BAD.name}/100_… to {BAD.name}/{99 + len(CASES)}_…")
    return 0


if __name__ == "__main__":
    sys.exit(main())
