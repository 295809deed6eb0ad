// The synthetic case generator (see synth.h). All lists below are common
// Indonesian names and real regency names; every combination is invented.
#include "brankas/synth.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace brankas {

namespace {

struct Region {
  const char* code;  // province (2 digits) + regency (2 digits), as in a NIK
  const char* regency;
  const char* utc_offset;
  const char* districts[4];
};

constexpr const char* kFemaleNames[] = {
    "Siti",  "Putri",  "Ayu",    "Dewi",   "Wulan",    "Nur",    "Indah",   "Sri",
    "Rina",  "Fitri",  "Maria",  "Yohana", "Agustina", "Novita", "Melati",  "Anisa",
    "Dinda", "Nabila", "Aisyah", "Intan",  "Kartika",  "Sinta",  "Yuliana", "Ratna"};
constexpr const char* kMaleNames[] = {"Rizky", "Budi",  "Agus",   "Andi",  "Yohanes", "Fransiskus",
                                      "Dimas", "Fajar", "Bayu",   "Rudi",  "Yosef",   "Arif",
                                      "Ilham", "Reza",  "Daniel", "Samuel"};
constexpr const char* kFamilyNames[] = {
    "Nugroho", "Santoso",    "Lestari",   "Wibowo",     "Hasibuan",    "Siregar",   "Manurung",
    "Ndun",    "Tefa",       "Saragih",   "Nainggolan", "Simanjuntak", "Lubis",     "Nasution",
    "Harahap", "Sinaga",     "Pratama",   "Saputra",    "Hidayat",     "Kurniawan", "Setiawan",
    "Wijaya",  "Rahayu",     "Handayani", "Purnomo",    "Gunawan",     "Sitompul",  "Tanjung",
    "Rahman",  "Syamsuddin", "Lakapu",    "Nitbani",    "Benu",        "Manafe",    "Foeh",
    "Wenda",   "Kogoya",     "Rumbiak",   "Mofu",       "Yoku"};

// Codes follow the Kemendagri numbering; the district digits of a NIK are random.
constexpr Region kRegions[] = {
    {"5371", "Kota Kupang", "+08:00", {"Oebobo", "Kelapa Lima", "Maulafa", "Alak"}},
    {"5301", "Kabupaten Kupang", "+08:00", {"Kupang Timur", "Kupang Tengah", "Amarasi", "Fatuleu"}},
    {"5302",
     "Kabupaten Timor Tengah Selatan",
     "+08:00",
     {"Kota Soe", "Kuanfatu", "Amanuban Selatan", "Mollo Utara"}},
    {"3404", "Kabupaten Sleman", "+07:00", {"Depok", "Mlati", "Gamping", "Ngaglik"}},
    {"7371", "Kota Makassar", "+08:00", {"Tamalate", "Panakkukang", "Rappocini", "Biringkanaya"}},
    {"1275",
     "Kota Medan",
     "+07:00",
     {"Medan Baru", "Medan Helvetia", "Medan Johor", "Medan Tembung"}},
    {"3578", "Kota Surabaya", "+07:00", {"Wonokromo", "Tambaksari", "Rungkut", "Sawahan"}},
    {"3273", "Kota Bandung", "+07:00", {"Coblong", "Cicendo", "Bojongloa Kaler", "Antapani"}},
    {"5271", "Kota Mataram", "+08:00", {"Ampenan", "Cakranegara", "Selaparang", "Sekarbela"}},
    {"9171", "Kota Jayapura", "+09:00", {"Abepura", "Jayapura Utara", "Heram", "Muara Tami"}},
};

constexpr const char* kStreets[] = {
    "Merdeka",     "Sudirman",  "Diponegoro", "Gajah Mada",     "Ahmad Yani", "Kartini",
    "Cendana",     "Flamboyan", "Melati",     "Anggrek",        "Kenanga",    "Pattimura",
    "Imam Bonjol", "Veteran",   "Pahlawan",   "Soekarno-Hatta", "Teuku Umar", "Sam Ratulangi"};
constexpr const char* kPhonePrefixes[] = {"0811", "0812", "0813", "0821", "0822", "0852", "0853",
                                          "0857", "0858", "0877", "0878", "0881", "0895", "0896"};
constexpr const char* kCompanions[] = {"ibunya",   "neneknya",        "guru BK",
                                       "kakaknya", "pendamping desa", "tantenya"};
constexpr const char* kOpenings[] = {
    "Pada tanggal %s, anak berinisial %s datang ke UPTD PPA didampingi %s.",
    "Laporan diterima melalui hotline pada tanggal %s mengenai anak berinisial %s; pelapor "
    "adalah %s.",
    "Petugas penjangkauan bertemu anak berinisial %s pada tanggal %s setelah menerima "
    "informasi dari %s."};
constexpr const char* kMiddles[] = {
    "Korban tampak cemas dan meminta agar identitasnya dirahasiakan.",
    "Pendamping mencatat keterangan korban dengan bahasa yang sederhana dan tanpa tekanan.",
    "Keluarga korban bersedia bekerja sama dengan petugas.",
    "Korban menyampaikan bahwa kejadian serupa pernah terjadi sebelumnya.",
    "Petugas memastikan korban berada di tempat yang aman selama wawancara."};
constexpr const char* kClosings[] = {
    "Petugas menyusun asesmen awal dan rencana tindak lanjut.",
    "Kasus dirujuk untuk layanan psikologis dan pendampingan hukum.",
    "Korban dan wali menyetujui rujukan ke layanan kesehatan.",
    "Manajer kasus menjadwalkan kunjungan monitoring dalam dua minggu."};

struct PlaceText {
  const char* place;
  const char* sentence;
};
constexpr PlaceText kPlaces[] = {
    {"household", "Kejadian berlangsung di rumah tempat korban tinggal."},
    {"school", "Kejadian terjadi di lingkungan sekolah korban."},
    {"workplace", "Kejadian terjadi di tempat korban membantu usaha milik orang lain."},
    {"public_place", "Kejadian terjadi di sebuah fasilitas umum dekat tempat tinggal korban."},
    {"online", "Kejadian bermula dari percakapan dengan akun media sosial."},
    {"other", "Lokasi kejadian masih dikonfirmasi oleh petugas."}};

struct RelationText {
  const char* relationship;
  const char* sentence;
};
constexpr RelationText kRelations[] = {
    {"parent", "Terlapor adalah orang tua kandung korban."},
    {"step_parent", "Terlapor adalah orang tua tiri korban."},
    {"partner_friend", "Terlapor adalah teman dekat korban."},
    {"relative", "Terlapor adalah kerabat yang tinggal serumah dengan korban."},
    {"teacher", "Terlapor adalah seorang pengajar di tempat korban belajar."},
    {"employer", "Terlapor adalah pemilik usaha tempat korban membantu bekerja."},
    {"neighbour", "Terlapor adalah tetangga korban."},
    {"stranger", "Terlapor tidak dikenal oleh korban."},
    {"other", "Terlapor adalah orang yang dikenal oleh keluarga korban."}};

// Violence types by likelihood; "other" stays rare.
constexpr const char* kViolenceTypes[] = {
    "physical",    "physical", "psychological", "psychological", "sexual",
    "sexual",      "sexual",   "neglect",       "exploitation",  "online_sexual_exploitation",
    "trafficking", "other"};

constexpr const char* kReferrals[] = {"health",
                                      "legal_aid",
                                      "law_enforcement",
                                      "psychological",
                                      "social_rehabilitation",
                                      "education_reintegration",
                                      "spiritual_counselling",
                                      "lpsk"};

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int DaysIn(int y, int m) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

std::string FormatDate(int y, int m, int d) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return buf;
}

// Days since 1970-01-01 and back (Howard Hinnant's civil calendar algorithms).
int64_t DaysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}
std::string CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  const int y = static_cast<int>(yoe + era * 400 + (m <= 2));
  return FormatDate(y, m, d);
}
int64_t DaysOf(const std::string& date) {
  return DaysFromCivil(std::stoi(date.substr(0, 4)), std::stoi(date.substr(5, 2)),
                       std::stoi(date.substr(8, 2)));
}

std::string Initials(const std::string& name) {
  std::string out;
  bool start = true;
  for (char c : name) {
    if (start && c != ' ') out.push_back(c);
    start = c == ' ';
  }
  return out;
}

std::string Join(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out.push_back(',');
    out += item;
  }
  return out;
}

uint64_t SplitMix64(uint64_t* x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

SyntheticGenerator::SyntheticGenerator(uint64_t seed) {
  for (auto& s : state_) s = SplitMix64(&seed);
}

// xoshiro256** 1.0 (Blackman and Vigna, public domain).
uint64_t SyntheticGenerator::Next() {
  const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
  const uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = Rotl(state_[3], 45);
  return result;
}

uint64_t SyntheticGenerator::Uniform(uint64_t n) {
  // Rejection sampling keeps the draw unbiased and the sequence platform-independent.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do {
    x = Next();
  } while (x >= limit);
  return x % n;
}

int SyntheticGenerator::Between(int lo, int hi) {
  return lo + static_cast<int>(Uniform(static_cast<uint64_t>(hi - lo + 1)));
}

size_t SyntheticGenerator::PickRegion() { return Uniform(std::size(kRegions)); }

std::string SyntheticGenerator::GivenName() {
  return Uniform(2) == 0 ? Pick(kFemaleNames) : Pick(kMaleNames);
}
std::string SyntheticGenerator::FamilyName() { return Pick(kFamilyNames); }
std::string SyntheticGenerator::Name() {
  std::string name = GivenName();
  if (Uniform(3) == 0) name += std::string(" ") + GivenName();
  return name + " " + FamilyName();
}
std::string SyntheticGenerator::Regency() { return kRegions[PickRegion()].regency; }

std::string SyntheticGenerator::NikFor(const char* region_code, int year, int month, int day,
                                       bool female) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%02d%02d%02d%02d%04d", region_code, Between(1, 20),
                day + (female ? 40 : 0), month, year % 100, Between(1, 9999));
  return buf;
}

std::string SyntheticGenerator::KkFor(const char* region_code) {
  const int year = Between(2005, 2023), month = Between(1, 12);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%02d%02d%02d%02d%04d", region_code, Between(1, 20),
                Between(1, DaysIn(year, month)), month, year % 100, Between(1, 9999));
  return buf;
}

std::string SyntheticGenerator::Nik() {
  const char* code = kRegions[PickRegion()].code;
  const int year = Between(1960, 2022), month = Between(1, 12);
  return NikFor(code, year, month, Between(1, DaysIn(year, month)), Uniform(2) == 0);
}
std::string SyntheticGenerator::KkNumber() { return KkFor(kRegions[PickRegion()].code); }

std::string SyntheticGenerator::Phone() {
  std::string phone = Pick(kPhonePrefixes);
  const int digits = Between(7, 8);
  for (int i = 0; i < digits; ++i) phone.push_back(static_cast<char>('0' + Uniform(10)));
  return phone;
}

std::string SyntheticGenerator::Address() {
  char buf[128];
  std::snprintf(buf, sizeof buf, "Jl. %s No. %d, RT %03d/RW %03d", Pick(kStreets), Between(1, 150),
                Between(1, 15), Between(1, 12));
  return buf;
}

std::string SyntheticGenerator::Date(int first_year, int last_year) {
  const int year = Between(first_year, last_year), month = Between(1, 12);
  return FormatDate(year, month, Between(1, DaysIn(year, month)));
}

std::string SyntheticGenerator::RegistrationNumber() {
  char buf[64];
  std::snprintf(buf, sizeof buf, "PPA/%s/%d/%06d", kRegions[PickRegion()].code, Between(2020, 2024),
                Between(1, 999999));
  return buf;
}

std::string SyntheticGenerator::NarrativeFor(const std::string& incident_date,
                                             const std::string& place,
                                             const std::string& relationship,
                                             const std::string& initials) {
  char buf[512];
  const size_t opening = Uniform(std::size(kOpenings));
  if (opening == 2) {
    std::snprintf(buf, sizeof buf, kOpenings[opening], initials.c_str(), incident_date.c_str(),
                  Pick(kCompanions));
  } else {
    std::snprintf(buf, sizeof buf, kOpenings[opening], incident_date.c_str(), initials.c_str(),
                  Pick(kCompanions));
  }
  std::string text = "[DATA SINTETIS] ";
  text += buf;
  for (const auto& p : kPlaces) {
    if (place == p.place) text += std::string(" ") + p.sentence;
  }
  for (const auto& r : kRelations) {
    if (relationship == r.relationship) text += std::string(" ") + r.sentence;
  }
  const size_t first = Uniform(std::size(kMiddles));
  const size_t second = (first + 1 + Uniform(std::size(kMiddles) - 1)) % std::size(kMiddles);
  text += std::string(" ") + kMiddles[first] + " " + kMiddles[second];
  text += std::string(" ") + Pick(kClosings);
  return text;
}

std::string SyntheticGenerator::Narrative() {
  const std::string initials = std::string(1, GivenName()[0]) + FamilyName()[0];
  return NarrativeFor(Date(2022, 2024), Pick(kPlaces).place, Pick(kRelations).relationship,
                      initials);
}

std::map<std::string, std::string> SyntheticGenerator::NewCase() {
  std::map<std::string, std::string> c;
  const Region& region = kRegions[PickRegion()];
  const bool female = Uniform(10) < 7;

  // Dates: the child is 3..17 at the incident; the report follows within 60 days.
  const std::string incident_date = Date(2022, 2024);
  const int incident_year = std::stoi(incident_date.substr(0, 4));
  const int age = Between(3, 17);
  const int birth_year = incident_year - age - 1 + static_cast<int>(Uniform(2));
  const int birth_month = Between(1, 12);
  const int birth_day = Between(1, DaysIn(birth_year, birth_month));
  const std::string birth_date = FormatDate(birth_year, birth_month, birth_day);
  const std::string report_date = CivilFromDays(DaysOf(incident_date) + Between(0, 60));
  char received_at[40];
  std::snprintf(received_at, sizeof received_at, "%sT%02d:%02d:%02d%s", report_date.c_str(),
                Between(7, 20), Between(0, 59), Between(0, 59), region.utc_offset);

  // Administrative.
  char registration[64];
  std::snprintf(registration, sizeof registration, "PPA/%s/%s/%06d", region.code,
                report_date.substr(0, 4).c_str(), Between(1, 999999));
  c["registration_number"] = registration;
  c["module"] = Uniform(5) == 0 ? "tpks" : "anak";
  static constexpr const char* kStatuses[] = {"open", "open", "open", "on_hold", "closed"};
  c["status"] = Pick(kStatuses);
  static constexpr const char* kChannels[] = {"walk_in",  "hotline",  "online",
                                              "outreach", "referral", "police"};
  c["intake_channel"] = Pick(kChannels);
  c["retention_class"] = "standard";
  c["legal_hold"] = "false";

  // Identity.
  const std::string given = female ? Pick(kFemaleNames) : Pick(kMaleNames);
  const std::string family = FamilyName();
  const std::string name = given + " " + family;
  c["name"] = name;
  c["sex"] = female ? "female" : "male";
  c["birth_date"] = birth_date;
  c["nik"] = NikFor(region.code, birth_year, birth_month, birth_day, female);
  c["kk_number"] = KkFor(region.code);
  c["education_level"] = age < 6    ? "early_childhood"
                         : age < 13 ? "primary"
                         : age < 16 ? "junior_secondary"
                                    : "senior_secondary";
  const bool guardian_is_mother = Uniform(3) != 0;
  c["guardian_name"] =
      std::string(Pick(kFemaleNames)) + " " + (guardian_is_mother ? family : FamilyName());
  c["guardian_relationship"] = guardian_is_mother ? "mother" : "grandparent";

  // Contact.
  c["address"] = Address();
  c["district"] = region.districts[Uniform(4)];
  c["regency"] = region.regency;
  c["guardian_phone"] = Phone();
  static constexpr const char* kSafeContact[] = {"via_guardian", "via_case_worker", "phone_call",
                                                 "whatsapp", "in_person_only"};
  c["safe_contact_method"] = Pick(kSafeContact);

  // Incident and perpetrator, kept consistent with each other.
  const PlaceText& place = Pick(kPlaces);
  std::string relationship;
  if (std::string(place.place) == "household") {
    static constexpr const char* kHome[] = {"parent", "step_parent", "relative", "relative"};
    relationship = Pick(kHome);
  } else if (std::string(place.place) == "school") {
    static constexpr const char* kSchool[] = {"teacher", "partner_friend", "other"};
    relationship = Pick(kSchool);
  } else if (std::string(place.place) == "online") {
    static constexpr const char* kOnline[] = {"stranger", "partner_friend"};
    relationship = Pick(kOnline);
  } else if (std::string(place.place) == "workplace") {
    relationship = "employer";
  } else {
    static constexpr const char* kElsewhere[] = {"neighbour", "stranger", "relative", "other"};
    relationship = Pick(kElsewhere);
  }
  std::vector<std::string> types = {Pick(kViolenceTypes)};
  if (Uniform(3) == 0) types.push_back(Pick(kViolenceTypes));
  if (std::string(place.place) == "online") types.push_back("online_sexual_exploitation");
  c["incident_date"] = incident_date;
  c["report_date"] = report_date;
  c["report_received_at"] = received_at;
  c["incident_place"] = place.place;
  c["violence_types"] = Join(types);
  c["narrative"] = NarrativeFor(incident_date, place.place, relationship, Initials(name));
  c["perpetrator_relationship"] = relationship;
  c["perpetrator_sex"] = Uniform(10) < 9 ? "male" : "female";
  static constexpr const char* kAgeGroups[] = {"under_18",  "age_18_24", "age_25_44",
                                               "age_25_44", "age_45_59", "unknown"};
  c["perpetrator_age_group"] = Pick(kAgeGroups);
  c["perpetrator_count"] = std::to_string(Uniform(8) == 0 ? 2 : 1);

  // Psychological, legal, services, consent.
  static constexpr const char* kRisks[] = {"low", "medium", "medium", "high", "critical"};
  const std::string risk = Pick(kRisks);
  c["risk_level"] = risk;
  if (risk == "high" || risk == "critical") {
    c["shelter_location"] = "Rumah Aman " + std::string(region.code) + "-" +
                            std::to_string(Between(1, 9)) + " (lokasi sintetis)";
    c["flags"] = "high_risk";
  }
  static constexpr const char* kCourtStages[] = {"not_reported", "inquiry", "investigation",
                                                 "prosecution",  "trial",   "verdict"};
  c["court_stage"] = Pick(kCourtStages);
  c["services_provided"] =
      Join({"case_management", Uniform(2) == 0 ? "complaint" : "outreach", "victim_accompaniment"});
  std::vector<std::string> referrals = {"psychological", Pick(kReferrals)};
  c["referrals"] = Join(referrals);
  const bool guardian_suspected = relationship == "parent" || relationship == "step_parent";
  c["consent_basis"] = guardian_suspected ? "other_legal_basis" : "child_assent_and_guardian";
  c["child_assent"] = age >= 7 ? "true" : "false";
  c["consent_date"] = report_date;
  c["consent_services"] = Join(referrals);
  c["consent_deidentified_reporting"] = Uniform(4) == 0 ? "false" : "true";
  return c;
}

}  // namespace brankas
