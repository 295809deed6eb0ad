// Synthetic case records for tests, demos and benchmarks. Never real data:
// names are drawn from short lists of common Indonesian given and family
// names, identity numbers have a plausible structure but random serials, and
// every narrative opens with "[DATA SINTETIS]".
//
// Deterministic: the same seed gives the same sequence of values on every
// platform (xoshiro256** seeded by splitmix64; no std::random_device, no clock).
// Every value of NewCase() is valid against config/schema.toml.
//
// Thread-safety: none; one generator per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace brankas {

class SyntheticGenerator {
 public:
  explicit SyntheticGenerator(uint64_t seed);

  // One child-victim case: about 25 fields across all ten field classes, with
  // consistent values (the NIK encodes the birth date and sex, the report comes
  // after the incident, the victim is under 18 at the incident).
  std::map<std::string, std::string> NewCase();

  // Single values, each independent of the others.
  std::string GivenName();
  std::string FamilyName();
  std::string Name();      // "Siti Rahma Lestari"
  std::string Regency();   // "Kota Kupang"
  std::string Nik();       // 16 digits: region code, DDMMYY (+40 for female), serial
  std::string KkNumber();  // 16 digits: region code, DDMMYY issue date, serial
  std::string Phone();     // "08xxxxxxxxxx"
  std::string Address();   // "Jl. Melati No. 12, RT 003/RW 005"
  std::string Date(int first_year, int last_year);  // YYYY-MM-DD within the years
  std::string RegistrationNumber();                 // "PPA/5371/2024/000123"
  std::string Narrative();  // a few hundred bytes of templated, obviously synthetic text

 private:
  uint64_t Next();
  uint64_t Uniform(uint64_t n);  // in [0, n)
  int Between(int lo, int hi);   // in [lo, hi]
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Uniform(N)];
  }
  size_t PickRegion();  // index into the region table of synth.cc
  std::string NikFor(const char* region_code, int year, int month, int day, bool female);
  std::string KkFor(const char* region_code);
  std::string NarrativeFor(const std::string& incident_date, const std::string& place,
                           const std::string& relationship, const std::string& initials);

  uint64_t state_[4];
};

}  // namespace brankas
