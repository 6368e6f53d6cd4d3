#!/usr/bin/env python3
"""Checks the shape of the sources the next person reads first: no file above 400 lines and no
function above 80 in the layers and bench/ (FOLDERS), so that each file holds one concern and
each function reads in one screen. Prints each one too long with file, line and length and exits 1. Run by
the unit test "unit.shape" (and so by `make test`).

    check_shape.py [SOURCE_DIR] [--self-test]

C++ (.cpp .hpp .h .cc): a function's length runs from the line of its opening brace to the line
of its closing one, found by matching braces outside comments, string and character literals
(raw strings too) and preprocessor lines. A brace block at namespace or class scope whose header
has a parameter list is a function (a lambda at that scope too); namespaces, classes, structs,
enums, brace initializers (`= {...}`, a constructor's `member_{...}`) are not. Everything inside
a function (lambdas, nested blocks) counts towards it. Python (.py): the ast module's extent of
every def, nested ones included (each measured on its own).
"""
import ast
import re
import sys
from pathlib import Path

FOLDERS = ["domain", "messages", "core", "actors", "adapters", "wiring", "app", "bench"]
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 80
CPP_SUFFIXES = (".cpp", ".hpp", ".h", ".cc")
SCOPE_HEADER = re.compile(r'^\s*(template\s*<.*>\s*)?(inline\s+)?(namespace|class|struct|union|enum)\b|^\s*extern\s+"C"',
                          re.S)
RAW_STRING = re.compile(r'R"([^()\\\s]{0,16})\(')


def strip_cpp(text):
    """The text with comments, literals and preprocessor lines blanked out (newlines kept)."""
    out = []
    i, n = 0, len(text)
    at_line_start = True
    while i < n:
        c = text[i]
        if at_line_start and c == "#":
            # A preprocessor line, with its continuations.
            while i < n and text[i] != "\n":
                if text[i] == "\\" and i + 1 < n and text[i + 1] == "\n":
                    out.append("\n")
                    i += 2
                    continue
                i += 1
            continue
        if c in " \t":
            out.append(c)
            i += 1
            continue
        at_line_start = c == "\n"
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append("\n" * text.count("\n", i, end))
            i = end
            continue
        raw = RAW_STRING.match(text, i) if c == "R" and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")) else None
        if raw:
            close = ")" + raw.group(1) + '"'
            end = text.find(close, raw.end())
            end = n if end < 0 else end + len(close)
            out.append('""' + "\n" * text.count("\n", i, end))
            i = end
            continue
        if c in "\"'":
            if c == "'" and i > 0 and text[i - 1].isalnum():
                out.append(c)  # a digit separator (1'000)
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _function_name(header):
    """The name before the parameter list: `T ns::name(args) const` -> ns::name."""
    depth = 0
    for k, ch in enumerate(header):
        if ch in "<":
            depth += 1
        elif ch == ">" and depth:
            depth -= 1
        elif ch == "(" and depth == 0:
            words = re.findall(r"[\w:~]+|operator\W+", header[:k])
            return words[-1] if words else "(lambda)"
    return "(unnamed)"


def _in_initializer_list(header):
    """Whether a constructor's member initializer list has begun: `f(a) : m_(a), n_`."""
    depth = 0
    k = 0
    closed = False
    while k < len(header):
        ch = header[k]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            closed = closed or depth == 0
        elif ch == ":" and depth == 0 and closed:
            if header.startswith("::", k):
                k += 2
                continue
            return True
        k += 1
    return False


def cpp_functions(text):
    """(name, first line, length in lines) of every function body in C++ source `text`."""
    code = strip_cpp(text)
    functions = []
    stack = []  # per open brace: (kind, line, name)
    header_start = 0
    for pos, ch in enumerate(code):
        if ch == ";" and (not stack or stack[-1][0] == "scope"):
            header_start = pos + 1
        elif ch == "{":
            line = code.count("\n", 0, pos) + 1
            if stack and stack[-1][0] in ("function", "block", "data"):
                stack.append(("block" if stack[-1][0] != "data" else "data", line, None))
                continue
            header = code[header_start:pos]
            previous = header.rstrip()[-1:] or ""
            if SCOPE_HEADER.search(header):
                kind = "scope"
            elif previous == "=" or previous == "," and not _in_initializer_list(header):
                kind = "data"
            elif _in_initializer_list(header) and (previous.isalnum() or previous in "_>"):
                kind = "init"  # a member's brace initializer: the body comes after it
            elif "(" in header:
                kind = "function"
            else:
                kind = "data"
            stack.append((kind, line, _function_name(header) if kind == "function" else None))
            if kind == "scope":
                header_start = pos + 1
        elif ch == "}":
            if not stack:
                continue
            kind, line, name = stack.pop()
            if kind == "function":
                functions.append((name, line, code.count("\n", 0, pos) + 1 - line + 1))
            if kind in ("function", "scope", "data") and (not stack or stack[-1][0] == "scope"):
                header_start = pos + 1
    return functions


def python_functions(text, filename):
    tree = ast.parse(text, filename=filename)
    return [(node.name, node.lineno, node.end_lineno - node.lineno + 1) for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]


def violations(root):
    found = []
    for folder in FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if not path.is_file() or any(part.startswith("build") or part == "__pycache__" for part in path.parts):
                continue
            if path.suffix in CPP_SUFFIXES:
                kind = "cpp"
            elif path.suffix == ".py":
                kind = "py"
            else:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            where = path.relative_to(root)
            lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
            if lines > MAX_FILE_LINES:
                found.append(f"{where}: {lines} lines (at most {MAX_FILE_LINES}): split it by concern")
            functions = cpp_functions(text) if kind == "cpp" else python_functions(text, str(where))
            for name, line, length in functions:
                if length > MAX_FUNCTION_LINES:
                    found.append(f"{where}:{line}: {name} is {length} lines (at most {MAX_FUNCTION_LINES})")
    return found


def longest(root):
    """The longest file and function, for the closing line."""
    files, functions = [], []
    for folder in FOLDERS:
        for path in (root / folder).rglob("*"):
            if not path.is_file() or path.suffix not in CPP_SUFFIXES + (".py",):
                continue
            if any(part.startswith("build") or part == "__pycache__" for part in path.parts):
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            where = path.relative_to(root)
            files.append((text.count("\n"), str(where)))
            found = cpp_functions(text) if path.suffix != ".py" else python_functions(text, str(where))
            functions += [(length, f"{where}:{line} {name}") for name, line, length in found]
    return max(files, default=(0, "-")), max(functions, default=(0, "-"))


def self_test():
    """The check must catch a long file and a long function, and not mistake what is neither."""
    import tempfile
    body = "  x += 1;\n"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for folder in FOLDERS:
            (root / folder).mkdir()
        (root / "actors" / "long_function.cpp").write_text(
            "namespace k {\nstruct s {\n  int f() const {\n" + body * 79 + "  }\n};\n"  # 81 lines: caught
            "int g(int x) {\n" + body * 78 + "}\n"  # 80 lines: fine
            "s::s(int a) : a_(a), b_{a, 2}, c_{} {\n  auto l = [] { return '{'; };\n  const char* t = \"}}\";\n}\n"
            "const int table[] = {\n" + "  1,\n" * 100 + "};\n"  # data, not a function
            'const char* page = R"html(\n' + "} } {\n" * 100 + ')html";\n'
            "#define OPEN {\n"
            "/* { */ // {\n"
            "}\n")
        (root / "core" / "long_file.hpp").write_text("int x;\n" * 401)
        (root / "bench" / "long.py").write_text(
            "def f():\n" + "    x = 1\n" * 80 + "\n\ndef g():\n" + "    return 1\n")
        found = violations(root)
        assert len(found) == 3, found
        assert "core/long_file.hpp: 401 lines" in found[0], found
        assert "actors/long_function.cpp:3: f is 81 lines" in found[1], found
        assert "bench/long.py:1: f is 81 lines" in found[2], found


def main(argv):
    root = Path(next((a for a in argv[1:] if not a.startswith("--")), Path(__file__).resolve().parents[1]))
    self_test()
    if "--self-test" in argv:
        print("check_shape.py: self-test passed")
        return 0
    found = violations(root)
    (file_lines, file_name), (function_lines, function_name) = longest(root)
    verdict = f"{len(found)} file(s) or function(s) too long" if found else "shape clean"
    print("\n".join(found + [f"{verdict} in {', '.join(FOLDERS)}: the longest file {file_name} ({file_lines} lines), "
                              f"the longest function {function_name} ({function_lines} lines)"]))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
