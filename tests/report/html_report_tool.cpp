// Test helper for render_report.sh: html_report_tool RUN_DIR OUT.html
#include <exception>
#include <iostream>

#include "core/report/html_report.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: html_report_tool RUN_DIR OUT.html\n";
    return 2;
  }
  try {
    memgan::report::write_html_report(argv[1], argv[2]);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
