//===- MixedPrecisionReport.cpp - summary, JSON and HTML reports ----------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// What --precision=mixed prints and writes (--report=FILE.json|.html): per
// layer the chosen configuration, sensitivity, size, BOPs and latency of
// every configuration; the totals against the budgets; and for HTML an
// inline SVG plot of the sensitivity-vs-size Pareto frontier with the
// chosen point. The HTML page has no external resources.
//
//===----------------------------------------------------------------------===//

#include "qcc/Pipelines/MixedPrecision.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qcc;

namespace {

std::string formatPercent(double value, double of) {
  if (!(of > 0))
    return "-";
  std::string s;
  llvm::raw_string_ostream(s) << llvm::format("%.1f%%", 100.0 * value / of);
  return s;
}

std::string formatNumber(double v) {
  std::string s;
  llvm::raw_string_ostream os(s);
  if (std::fabs(v) >= 1e6 || (v != 0 && std::fabs(v) < 1e-3))
    os << llvm::format("%.3e", v);
  else
    os << llvm::format("%.4g", v);
  return s;
}

std::string escapeHtml(StringRef text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

llvm::json::Value toJson(const BitAllocationReport &report) {
  const BitAllocationResult &r = report.result;
  const std::optional<MeasuredLatency> &measured = report.measured;
  llvm::json::Array configs;
  for (const LayerConfig &c : r.configs)
    configs.push_back(c.getName());
  llvm::json::Array layers;
  for (auto [index, l] : llvm::enumerate(r.layers)) {
    llvm::json::Object perConfig;
    for (auto [i, c] : llvm::enumerate(r.configs)) {
      llvm::json::Object entry{{"sensitivity", l.sensitivity[i]},
                               {"size_bytes", l.sizeBytes[i]},
                               {"bops", l.bops[i]}};
      if (!l.latencyMs.empty())
        entry["latency_ms"] = l.latencyMs[i];
      perConfig[c.getName()] = std::move(entry);
    }
    llvm::json::Object layer{{"name", l.name},
                             {"params", l.params},
                             {"macs", l.macs},
                             {"chosen", r.configs[l.chosen].getName()},
                             {"fixed", l.fixed},
                             {"configs", std::move(perConfig)}};
    if (measured) {
      const std::optional<double> &ms = measured->layerMs[index];
      layer["measured_ms"] = ms ? llvm::json::Value(*ms) : nullptr;
    }
    layers.push_back(std::move(layer));
  }
  llvm::json::Array ties;
  for (const auto &group : r.ties) {
    llvm::json::Array names;
    for (unsigned i : group)
      names.push_back(r.layers[i].name);
    ties.push_back(std::move(names));
  }
  auto budget = [](const std::optional<double> &b) -> llvm::json::Value {
    return b ? llvm::json::Value(*b) : llvm::json::Value(nullptr);
  };
  llvm::json::Array points;
  for (auto [size, objective] : report.frontier)
    points.push_back(
        llvm::json::Object{{"size_bytes", size}, {"sensitivity", objective}});
  llvm::json::Object totals{
      {"sensitivity", r.objective}, {"size_bytes", r.size}, {"bops", r.bops}};
  llvm::json::Object int8{{"size_bytes", r.int8Size}, {"bops", r.int8Bops}};
  if (r.haveLatency) {
    totals["latency_ms"] = r.latency;
    int8["latency_ms"] = r.int8Latency;
  }
  llvm::json::Value measuredJson = nullptr;
  if (measured)
    measuredJson = llvm::json::Object{{"layers_ms", measured->layersMs},
                                      {"run_ms", measured->runMs},
                                      {"runs", measured->runs},
                                      {"threads", measured->threads}};
  return llvm::json::Object{
      {"solver", stringifyBitAllocationSolverKind(r.solver)},
      {"measured", std::move(measuredJson)},
      {"configs", std::move(configs)},
      {"budgets", llvm::json::Object{{"size_bytes", budget(r.sizeBudget)},
                                     {"bops", budget(r.bopsBudget)},
                                     {"latency_ms", budget(r.latencyBudget)}}},
      {"totals", std::move(totals)},
      {"int8", std::move(int8)},
      {"layers", std::move(layers)},
      {"ties", std::move(ties)},
      {"pareto_frontier", std::move(points)}};
}

/// An SVG scatter of the frontier (size on x, sensitivity on y) with the
/// chosen point marked.
void writeFrontierSvg(llvm::raw_ostream &os, const BitAllocationResult &r,
                      ArrayRef<std::pair<double, double>> frontier) {
  const double w = 560, h = 320, pad = 50;
  double x0 = r.size, x1 = r.size, y0 = r.objective, y1 = r.objective;
  for (auto [x, y] : frontier) {
    x0 = std::min(x0, x), x1 = std::max(x1, x);
    y0 = std::min(y0, y), y1 = std::max(y1, y);
  }
  if (x1 <= x0)
    x1 = x0 + 1;
  if (y1 <= y0)
    y1 = y0 + 1;
  auto px = [&](double x) {
    return pad + (x - x0) / (x1 - x0) * (w - 2 * pad);
  };
  auto py = [&](double y) {
    return h - pad - (y - y0) / (y1 - y0) * (h - 2 * pad);
  };
  os << "<svg xmlns='http://www.w3.org/2000/svg' width='" << w << "' height='"
     << h << "' style='border:1px solid #ccc'>\n";
  os << "<line x1='" << pad << "' y1='" << h - pad << "' x2='" << w - pad
     << "' y2='" << h - pad << "' stroke='black'/>\n";
  os << "<line x1='" << pad << "' y1='" << pad << "' x2='" << pad << "' y2='"
     << h - pad << "' stroke='black'/>\n";
  os << "<text x='" << w / 2 << "' y='" << h - 10
     << "' text-anchor='middle'>size of the layers' weights (bytes): "
     << formatNumber(x0) << " .. " << formatNumber(x1) << "</text>\n";
  os << "<text x='12' y='" << h / 2 << "' transform='rotate(-90 12 " << h / 2
     << ")' text-anchor='middle'>sensitivity: " << formatNumber(y0) << " .. "
     << formatNumber(y1) << "</text>\n";
  std::string path;
  for (auto [x, y] : frontier) {
    os << "<circle cx='" << px(x) << "' cy='" << py(y)
       << "' r='3' fill='#36c'><title>" << formatNumber(x) << " bytes, "
       << formatNumber(y) << "</title></circle>\n";
    path += (path.empty() ? "M" : " L") + std::to_string(px(x)) + " " +
            std::to_string(py(y));
  }
  if (!path.empty())
    os << "<path d='" << path << "' fill='none' stroke='#36c'/>\n";
  os << "<circle cx='" << px(r.size) << "' cy='" << py(r.objective)
     << "' r='6' fill='none' stroke='#d22' stroke-width='2'><title>chosen: "
     << formatNumber(r.size) << " bytes, " << formatNumber(r.objective)
     << "</title></circle>\n</svg>\n";
}

void writeHtml(llvm::raw_ostream &os, const BitAllocationReport &report) {
  const BitAllocationResult &r = report.result;
  const std::optional<MeasuredLatency> &measured = report.measured;
  os << "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        "<title>qcc mixed precision</title><style>"
        "body{font-family:sans-serif;margin:2em}"
        "table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
        "td:first-child{text-align:left}.chosen{background:#e8f0ff}"
        "</style></head><body>\n<h1>qcc mixed-precision bit allocation</h1>\n";
  os << "<p>Solver: " << stringifyBitAllocationSolverKind(r.solver)
     << ". Total sensitivity " << formatNumber(r.objective) << "; size "
     << formatNumber(r.size) << " bytes (" << formatPercent(r.size, r.int8Size)
     << " of W8A8); BOPs " << formatNumber(r.bops) << " ("
     << formatPercent(r.bops, r.int8Bops) << ")";
  if (r.haveLatency)
    os << "; predicted latency of the layers " << formatNumber(r.latency)
       << " ms (" << formatPercent(r.latency, r.int8Latency)
       << " of W8A8): the sum of their kernels' times measured by qcc-tune";
  os << ".</p>\n";
  if (measured)
    os << "<p>Measured in the library (median of " << measured->runs
       << " runs on " << measured->threads << " thread"
       << (measured->threads == 1 ? "" : "s") << ", per-op profiles): layers "
       << formatNumber(measured->layersMs) << " ms, whole run "
       << formatNumber(measured->runMs) << " ms.</p>\n";
  os << "<h2>Sensitivity vs size: Pareto frontier</h2>\n";
  writeFrontierSvg(os, r, report.frontier);
  os << "<h2>Layers</h2>\n<table><tr><th>layer</th><th>params</th>"
        "<th>MACs</th><th>chosen</th>"
     << (measured ? "<th>measured ms</th>" : "");
  for (const LayerConfig &c : r.configs)
    os << "<th>" << c.getName() << " sensitivity</th><th>" << c.getName()
       << " bytes</th><th>" << c.getName() << " BOPs</th>"
       << (r.haveLatency ? "<th>" + c.getName() + " kernel ms</th>" : "");
  os << "</tr>\n";
  for (auto [index, l] : llvm::enumerate(r.layers)) {
    os << "<tr><td>" << escapeHtml(l.name) << "</td><td>" << l.params
       << "</td><td>" << l.macs << "</td><td>" << r.configs[l.chosen].getName()
       << (l.fixed ? " (fixed)" : "") << "</td>";
    if (measured)
      os << "<td>"
         << (measured->layerMs[index] ? formatNumber(*measured->layerMs[index])
                                      : std::string("-"))
         << "</td>";
    for (size_t i = 0; i < r.configs.size(); ++i) {
      const char *cls = i == l.chosen ? " class='chosen'" : "";
      os << "<td" << cls << ">" << formatNumber(l.sensitivity[i]) << "</td><td"
         << cls << ">" << formatNumber(l.sizeBytes[i]) << "</td><td" << cls
         << ">" << formatNumber(l.bops[i]) << "</td>";
      if (r.haveLatency)
        os << "<td" << cls << ">" << formatNumber(l.latencyMs[i]) << "</td>";
    }
    os << "</tr>\n";
  }
  os << "</table>\n";
  if (!r.ties.empty()) {
    os << "<h2>Ties (layers sharing a configuration)</h2>\n<ul>\n";
    for (const auto &group : r.ties) {
      os << "<li>";
      for (auto [k, i] : llvm::enumerate(group))
        os << (k ? ", " : "") << escapeHtml(r.layers[i].name);
      os << "</li>\n";
    }
    os << "</ul>\n";
  }
  os << "<h2>Data</h2>\n<pre>"
     << escapeHtml(llvm::formatv("{0:2}", toJson(report)).str())
     << "</pre>\n</body></html>\n";
}

} // namespace

void mlir::qcc::printBitAllocationSummary(const BitAllocationResult &r,
                                          llvm::raw_ostream &os) {
  os << "mixed precision (" << stringifyBitAllocationSolverKind(r.solver)
     << "):\n";
  os << llvm::format("  %-28s %-6s %12s %12s %12s", "layer", "bits",
                     "sensitivity", "bytes", "BOPs");
  if (r.haveLatency)
    os << llvm::format(" %12s", "kernel ms");
  os << "\n";
  for (const auto &l : r.layers) {
    os << llvm::format("  %-28s %-6s %12s %12s %12s",
                       l.name.substr(0, 28).c_str(),
                       r.configs[l.chosen].getName().c_str(),
                       formatNumber(l.sensitivity[l.chosen]).c_str(),
                       formatNumber(l.sizeBytes[l.chosen]).c_str(),
                       formatNumber(l.bops[l.chosen]).c_str());
    if (r.haveLatency)
      os << llvm::format(" %12s", formatNumber(l.latencyMs[l.chosen]).c_str());
    os << "\n";
  }
  os << "  total: sensitivity " << formatNumber(r.objective) << ", size "
     << formatNumber(r.size) << " bytes (" << formatPercent(r.size, r.int8Size)
     << " of W8A8), BOPs " << formatNumber(r.bops) << " ("
     << formatPercent(r.bops, r.int8Bops) << ")";
  if (r.haveLatency)
    os << ", layer kernels " << formatNumber(r.latency) << " ms ("
       << formatPercent(r.latency, r.int8Latency) << ", measured by qcc-tune)";
  os << "\n";
}

void mlir::qcc::printMeasuredLatency(const BitAllocationResult &r,
                                     const MeasuredLatency &measured,
                                     llvm::raw_ostream &os) {
  os << "measured in the library (median of " << measured.runs << " runs on "
     << measured.threads << " thread" << (measured.threads == 1 ? "" : "s")
     << "): layers " << formatNumber(measured.layersMs) << " ms";
  if (r.haveLatency)
    os << " (predicted " << formatNumber(r.latency) << " ms)";
  os << ", whole run " << formatNumber(measured.runMs) << " ms\n";
  for (auto [layer, ms] : llvm::zip(r.layers, measured.layerMs))
    if (!ms)
      os << "  note: no kernel call of the library is named after layer '"
         << layer.name << "'\n";
}

LogicalResult mlir::qcc::writeBitAllocationReport(
    const BitAllocationReport &report, StringRef path, Location loc) {
  bool html = path.ends_with(".html");
  if (!html && !path.ends_with(".json"))
    return emitError(loc) << "--report: '" << path
                          << "' must end in .json or .html";
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return emitError(loc) << "cannot write '" << path << "': " << ec.message();
  if (html)
    writeHtml(os, report);
  else
    os << llvm::formatv("{0:2}", toJson(report)) << "\n";
  return success();
}
