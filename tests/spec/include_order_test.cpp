// Keeps the tree layered: core -> spec -> firmware|models -> platform -> apps, each layer
// including only itself and the layers before it, every quoted include written from the
// repository root, spec/ headers only, and no include cycle between second-level folders.
// The checker works on (path, text) pairs so the tests below can prove it fails.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace {

namespace fs = std::filesystem;

struct SourceFile {
  std::string path;  // relative to the repository root, '/'-separated
  std::string text;
};

struct Include {
  std::string from;    // the including file
  int line;            // 1-based
  std::string target;  // as written between the quotes
};

const char* const kLayerOrder = "core -> spec -> firmware|models -> platform -> apps";
const std::vector<std::string> kLayered = {"core", "spec", "firmware", "models", "platform", "apps"};
const std::vector<std::string> kAnything = {"tests", "bench"};  // may include anything that resolves

// Which top folders each layered top folder may include.
const std::map<std::string, std::set<std::string>>& allowed_layers() {
  static const std::map<std::string, std::set<std::string>> allowed = {
      {"core", {"core"}},
      {"spec", {"spec", "core"}},
      {"firmware", {"firmware", "spec", "core"}},
      {"models", {"models", "spec", "core"}},
      {"platform", {"platform", "firmware", "models", "spec", "core"}},
      {"apps", {"apps", "platform", "firmware", "models", "spec", "core"}},
  };
  return allowed;
}

std::string top_folder(const std::string& path) { return path.substr(0, path.find('/')); }

// The folder a file belongs to for the cycle check: its directory, cut to two components
// ("core/nn/x.h" -> "core/nn", "platform/soc.h" -> "platform").
std::string group_folder(const std::string& path) {
  const size_t slash1 = path.find('/');
  if (slash1 == std::string::npos) return path;
  const size_t slash2 = path.find('/', slash1 + 1);
  if (slash2 == std::string::npos) return path.substr(0, slash1);
  return path.substr(0, slash2);
}

// Verilator's generated model headers, its runtime and the FST writer come from outside the tree.
bool is_external(const std::string& target) {
  if (target.find('/') != std::string::npos) return false;
  return target.rfind('V', 0) == 0 || target.rfind("verilated", 0) == 0 || target == "fstapi.h";
}

// Blanks comments (newlines kept) and steps over string and char literals, so a commented-out
// include does not count and a "/*" inside a string does not hide what follows.
std::string strip_comments(const std::string& text) {
  std::string out = text;
  enum { kCode, kLine, kBlock, kString, kChar } state = kCode;
  for (size_t i = 0; i < out.size(); ++i) {
    const char c = out[i], next = i + 1 < out.size() ? out[i + 1] : '\0';
    switch (state) {
      case kCode:
        if (c == '/' && (next == '/' || next == '*')) {
          state = next == '/' ? kLine : kBlock;
          out[i] = out[i + 1] = ' ';
          ++i;
        } else if (c == '"') {
          state = kString;
        } else if (c == '\'' && !(i > 0 && std::isalnum(static_cast<unsigned char>(out[i - 1])))) {
          state = kChar;  // not a digit separator (0x0010'0000)
        }
        break;
      case kLine:
        if (c == '\n') state = kCode;
        else out[i] = ' ';
        break;
      case kBlock:
        if (c == '*' && next == '/') {
          state = kCode;
          out[i] = out[i + 1] = ' ';
          ++i;
        } else if (c != '\n') {
          out[i] = ' ';
        }
        break;
      case kString:
      case kChar:
        // Keep the literal's text: an include's file name is a string literal.
        if (c == '\\') ++i;
        else if (c == (state == kString ? '"' : '\'') || c == '\n') state = kCode;
        break;
    }
  }
  return out;
}

std::vector<Include> parse_includes(const SourceFile& file) {
  std::vector<Include> includes;
  std::istringstream in(strip_comments(file.text));
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    size_t i = line.find_first_not_of(" \t");
    if (i == std::string::npos || line[i] != '#') continue;
    i = line.find_first_not_of(" \t", i + 1);
    if (i == std::string::npos || line.compare(i, 7, "include") != 0) continue;
    i = line.find_first_not_of(" \t", i + 7);
    if (i == std::string::npos || line[i] != '"') continue;
    const size_t end = line.find('"', i + 1);
    if (end == std::string::npos) continue;
    includes.push_back({file.path, n, line.substr(i + 1, end - i - 1)});
  }
  return includes;
}

struct IncludeReport {
  std::vector<std::string> errors;
  std::map<std::pair<std::string, std::string>, int> top_counts;  // (from top, to top) -> includes
};

std::string where(const Include& inc) {
  return inc.from + ":" + std::to_string(inc.line) + " includes \"" + inc.target + "\"";
}

// Finds the folder cycles of `edges` (one strongly connected component each, reported as one
// closed path through it) and names, for each step, an include that makes it.
void check_cycles(const std::map<std::string, std::map<std::string, Include>>& edges,
                  std::vector<std::string>& errors) {
  std::set<std::string> nodes;
  for (const auto& [from, tos] : edges) {
    nodes.insert(from);
    for (const auto& [to, inc] : tos) nodes.insert(to);
  }
  auto successors = [&](const std::string& n) {
    std::vector<std::string> s;
    if (auto it = edges.find(n); it != edges.end())
      for (const auto& [to, inc] : it->second) s.push_back(to);
    return s;
  };
  // Tarjan's strongly connected components (recursive: the graph is a few dozen folders).
  std::map<std::string, int> index, low;
  std::set<std::string> on_stack;
  std::vector<std::string> stack;
  std::vector<std::set<std::string>> components;
  int counter = 0;
  std::function<void(const std::string&)> visit = [&](const std::string& v) {
    index[v] = low[v] = counter++;
    stack.push_back(v);
    on_stack.insert(v);
    for (const std::string& w : successors(v)) {
      if (!index.count(w)) {
        visit(w);
        low[v] = std::min(low[v], low[w]);
      } else if (on_stack.count(w)) {
        low[v] = std::min(low[v], index[w]);
      }
    }
    if (low[v] == index[v]) {
      std::set<std::string> component;
      std::string w;
      do {
        w = stack.back();
        stack.pop_back();
        on_stack.erase(w);
        component.insert(w);
      } while (w != v);
      if (component.size() > 1) components.push_back(component);
    }
  };
  for (const std::string& n : nodes)
    if (!index.count(n)) visit(n);

  for (const auto& component : components) {
    // Shortest path inside the component from its first folder back to itself.
    const std::string start = *component.begin();
    std::map<std::string, std::string> parent;
    std::vector<std::string> queue = {start};
    std::string last;
    for (size_t q = 0; q < queue.size() && last.empty(); ++q) {
      for (const std::string& w : successors(queue[q])) {
        if (!component.count(w)) continue;
        if (w == start) {
          last = queue[q];
          break;
        }
        if (!parent.count(w)) parent[w] = queue[q], queue.push_back(w);
      }
    }
    std::vector<std::string> path = {start};
    for (std::string v = last; v != start; v = parent[v]) path.insert(path.begin() + 1, v);
    path.push_back(start);
    std::string msg = "folder include cycle:";
    for (size_t i = 0; i < path.size(); ++i) msg += (i ? " -> " : " ") + path[i];
    msg += " (";
    for (size_t i = 0; i + 1 < path.size(); ++i) msg += (i ? "; " : "") + where(edges.at(path[i]).at(path[i + 1]));
    msg += ")";
    errors.push_back(msg);
  }
}

// `exists(target)`: whether the repository root holds that path.
IncludeReport check_includes(const std::vector<SourceFile>& files,
                             const std::function<bool(const std::string&)>& exists) {
  IncludeReport report;
  std::map<std::string, std::map<std::string, Include>> edges;  // folder -> folder -> first include making it
  const auto& allowed = allowed_layers();
  for (const SourceFile& file : files) {
    const std::string from_top = top_folder(file.path);
    const bool layered = allowed.count(from_top) > 0;
    if (from_top == "spec" && fs::path(file.path).extension() == ".cpp")
      report.errors.push_back(file.path + ": spec/ is headers only (no .cpp files)");
    for (const Include& inc : parse_includes(file)) {
      if (is_external(inc.target)) continue;
      if (!exists(inc.target)) {
        report.errors.push_back(where(inc) + ": no such file relative to the repository root");
        continue;
      }
      if (!layered) continue;
      const std::string to_top = top_folder(inc.target);
      ++report.top_counts[{from_top, to_top}];
      if (!allowed.at(from_top).count(to_top))
        report.errors.push_back(where(inc) + ": " + from_top + " may not include " + to_top + " (layers: " +
                                kLayerOrder + ")");
      const std::string from_dir = group_folder(file.path), to_dir = group_folder(inc.target);
      if (from_dir != to_dir) edges[from_dir].emplace(to_dir, inc);
    }
  }
  check_cycles(edges, report.errors);
  return report;
}

std::string join(const std::vector<std::string>& lines) {
  std::string s;
  for (const std::string& l : lines) s += l + "\n";
  return s;
}

// Every .h/.cpp under the layered folders and tests/ and bench/, sorted so messages are stable.
std::vector<SourceFile> read_tree(const fs::path& root) {
  std::vector<std::string> tops = kLayered;
  tops.insert(tops.end(), kAnything.begin(), kAnything.end());
  std::vector<SourceFile> files;
  for (const std::string& top : tops) {
    if (!fs::is_directory(root / top)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root / top)) {
      const std::string ext = entry.path().extension().string();
      if (!entry.is_regular_file() || (ext != ".h" && ext != ".cpp")) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      files.push_back({fs::relative(entry.path(), root).generic_string(), text.str()});
    }
  }
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return files;
}

IncludeReport check_tree() {
  const fs::path root = MEMGAN_SOURCE_DIR;
  return check_includes(read_tree(root), [&](const std::string& target) { return fs::is_regular_file(root / target); });
}

TEST(IncludeOrder, TreeIsLayered) {
  const fs::path root = MEMGAN_SOURCE_DIR;
  const std::vector<SourceFile> files = read_tree(root);
  ASSERT_GT(files.size(), 50u) << "found too few sources under " << root;
  const IncludeReport report =
      check_includes(files, [&](const std::string& target) { return fs::is_regular_file(root / target); });
  EXPECT_TRUE(report.errors.empty()) << report.errors.size() << " include rule violation(s):\n" << join(report.errors);
}

TEST(IncludeOrder, PrintsIncludeGraph) {
  const IncludeReport report = check_tree();
  ASSERT_FALSE(report.top_counts.empty());
  std::cout << "include graph (quoted includes per top-folder pair, layered folders only):\n";
  for (const auto& [pair, count] : report.top_counts)
    std::cout << "  " << pair.first << " -> " << pair.second << ": " << count << "\n";
}

// The checker itself must be able to fail.
TEST(IncludeOrder, CheckerFlagsLayerViolation) {
  const std::vector<SourceFile> files = {
      {"core/a/x.h", "#pragma once\n\n#include <vector>\n#include \"models/b/y.h\"\n"},
      {"models/b/y.h", "#pragma once\n#include \"core/a/z.h\"\n"},
      {"core/a/z.h", "#pragma once\n"},
  };
  std::set<std::string> paths;
  for (const auto& f : files) paths.insert(f.path);
  const IncludeReport report = check_includes(files, [&](const std::string& t) { return paths.count(t) > 0; });
  // The two files also form the folder cycle core/a -> models/b -> core/a.
  const std::vector<std::string> expected = {
      "core/a/x.h:4 includes \"models/b/y.h\": core may not include models "
      "(layers: core -> spec -> firmware|models -> platform -> apps)",
      "folder include cycle: core/a -> models/b -> core/a (core/a/x.h:4 includes \"models/b/y.h\"; "
      "models/b/y.h:2 includes \"core/a/z.h\")",
  };
  EXPECT_EQ(report.errors, expected) << join(report.errors);
}

TEST(IncludeOrder, CheckerFlagsFolderCycle) {
  const std::vector<SourceFile> files = {
      {"core/nn/a.h", "#pragma once\n#include \"core/xbar/b.h\"\n"},
      {"core/xbar/b.h", "#pragma once\n// #include \"core/util/gone.h\" is a comment\n#include \"core/nn/c.h\"\n"},
      {"core/nn/c.h", "#pragma once\n/* #include \"core/util/gone.h\"\n */\n"},
  };
  std::set<std::string> paths;
  for (const auto& f : files) paths.insert(f.path);
  const IncludeReport report = check_includes(files, [&](const std::string& t) { return paths.count(t) > 0; });
  ASSERT_EQ(report.errors.size(), 1u) << join(report.errors);
  EXPECT_EQ(report.errors[0],
            "folder include cycle: core/nn -> core/xbar -> core/nn (core/nn/a.h:2 includes \"core/xbar/b.h\"; "
            "core/xbar/b.h:3 includes \"core/nn/c.h\")");
}

TEST(IncludeOrder, CheckerFlagsLongerCycleOnce) {
  const std::vector<SourceFile> files = {
      {"models/a/a.h", "#include \"models/b/b.h\"\n"},
      {"models/b/b.h", "#include \"models/c/c.h\"\n#include \"core/x/x.h\"\n"},
      {"models/c/c.h", "#include \"models/a/a.h\"\n"},
      {"core/x/x.h", ""},
  };
  std::set<std::string> paths;
  for (const auto& f : files) paths.insert(f.path);
  const IncludeReport report = check_includes(files, [&](const std::string& t) { return paths.count(t) > 0; });
  ASSERT_EQ(report.errors.size(), 1u) << join(report.errors);
  EXPECT_EQ(report.errors[0].rfind("folder include cycle: models/a -> models/b -> models/c -> models/a (", 0), 0u)
      << report.errors[0];
}

TEST(IncludeOrder, CheckerFlagsUnresolvedPeerAndSpecSource) {
  const std::vector<SourceFile> files = {
      {"firmware/f.h", "#include \"models/m.h\"\n#include \"m.h\"\n#include \"Vshift_add.h\"\n"},
      {"models/m.h", ""},
      {"spec/s.cpp", ""},
      {"tests/t.cpp", "#include \"platform/soc.h\"\n#include \"models/m.h\"\n"},
  };
  std::set<std::string> paths;
  for (const auto& f : files) paths.insert(f.path);
  const IncludeReport report = check_includes(files, [&](const std::string& t) { return paths.count(t) > 0; });
  const std::vector<std::string> expected = {
      "firmware/f.h:1 includes \"models/m.h\": firmware may not include models (layers: " + std::string(kLayerOrder) +
          ")",
      "firmware/f.h:2 includes \"m.h\": no such file relative to the repository root",
      "spec/s.cpp: spec/ is headers only (no .cpp files)",
      "tests/t.cpp:1 includes \"platform/soc.h\": no such file relative to the repository root",
  };
  EXPECT_EQ(report.errors, expected) << join(report.errors);
}

}  // namespace
