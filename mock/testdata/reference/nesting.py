"""Ground truth for how deep json.loads nests (nesting.json).

CPython's json decoder (its C scanner) enters one level of the interpreter's
recursion limit for each array or object it opens, on top of the frames already on
the stack where json.loads is called. So how deep a body may nest depends on the
caller's stack, and on nothing else: not on arrays against objects, not on where the
nesting sits (a field's value, an array inside an object, an empty container or a
scalar at the bottom). This script shows it: it finds the stack depth at which plain
arrays parse to exactly SERVICE_DEPTH levels (the depth measured against the service:
961 to 968 parse there), then records, at that same depth, the deepest body of each
shape that parses ("parses") and the same one level deeper ("fails").

    python3 mock/testdata/reference/nesting.py > mock/testdata/reference/nesting.json

The committed file was made with CPython 3.11.7, the service's Python.
"""
import json, sys

SERVICE_DEPTH = 968


def parses(body, stack):
    if stack > 0:
        return parses(body, stack - 1)
    try:
        json.loads(body)
        return True
    except RecursionError:
        return False


def deepest(make, stack):
    lo, hi = 1, 1200
    while lo < hi:
        m = (lo + hi + 1) // 2
        if parses(make(m), stack):
            lo = m
        else:
            hi = m - 1
    return lo


# Each shape makes a body whose arrays and objects nest n deep, counting every one.
SHAPES = {
    "arrays": lambda n: "[" * n + "]" * n,
    "objects": lambda n: '{"a":' * (n - 1) + "{}" + "}" * (n - 1),
    "objects with a scalar at the bottom": lambda n: '{"a":' * n + "1" + "}" * n,
    "arrays with a string at the bottom": lambda n: "[" * n + '"x"' + "]" * n,
    "arrays in a field's value": lambda n: '{"friendly_name":' + "[" * (n - 1) + "]" * (n - 1) + "}",
    "objects in an array": lambda n: "[" + '{"a":' * (n - 2) + "{}" + "}" * (n - 2) + "]",
    "arrays and objects alternating": lambda n: "".join("[" if i % 2 == 0 else '{"a":' for i in range(n)) + "1"
    + "".join("]" if i % 2 == 0 else "}" for i in reversed(range(n))),
    "arrays beside a shallow field": lambda n: '{"a":1,"b":[[1]],"c":' + "[" * (n - 1) + "]" * (n - 1) + "}",
}



def record(stack):
    out = []
    for name, make in SHAPES.items():
        n = deepest(make, stack)
        out.append({"shape": name, "depth": n, "parses": make(n), "fails": make(n + 1)})
    return out


for stack in range(200):
    cases = record(stack)
    if cases[0]["depth"] == SERVICE_DEPTH:
        break
json.dump({"python": sys.version.split()[0], "service_depth": SERVICE_DEPTH, "cases": cases}, sys.stdout, indent=1)
print()
