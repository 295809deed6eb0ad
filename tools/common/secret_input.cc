#include "secret_input.h"

#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "brankas/crypto.h"

namespace brankas::tools {

Result<std::string> PromptSecret(const std::string& prompt) {
  if (!isatty(STDIN_FILENO)) return FailedPrecondition("no terminal to ask for a passphrase on");
  std::cerr << prompt << std::flush;
  termios old_mode{};
  tcgetattr(STDIN_FILENO, &old_mode);
  termios silent = old_mode;
  silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSANOW, &silent);
  std::string line;
  std::getline(std::cin, line);
  tcsetattr(STDIN_FILENO, TCSANOW, &old_mode);
  std::cerr << "\n";
  return line;
}

Result<std::string> ReadSecretFile(const std::string& path) {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) return NotFound("cannot read the passphrase file " + path);
  if ((st.st_mode & 077) != 0) {
    return FailedPrecondition("the passphrase file " + path + " is readable by others; chmod 600 it");
  }
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return InvalidArgument("the passphrase file " + path + " is empty");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace brankas::tools
