#include <gtest/gtest.h>

#include "models/bus/address_map.h"

using memgan::AddressMap;

TEST(AddressMap, DecodesRegionsAndRejectsHoles) {
  AddressMap m;
  m.add("dram", 0x0, 0x1000, 0);
  m.add("dma", 0x30000000, 0x1000, 1);
  m.add("tile0", 0x40000000, 0x04000000, 2);
  EXPECT_EQ(m.decode(0x0, 4)->name, "dram");
  EXPECT_EQ(m.decode(0xFFC, 4)->port, 0);
  EXPECT_FALSE(m.decode(0xFFD, 4).has_value()) << "straddles the end of dram";
  EXPECT_FALSE(m.decode(0x1000, 1).has_value()) << "hole after dram";
  EXPECT_EQ(m.decode(0x30000008, 4)->name, "dma");
  EXPECT_EQ(m.decode(0x43FFFFFC, 4)->name, "tile0");
  EXPECT_FALSE(m.decode(0x44000000, 4).has_value());
  EXPECT_FALSE(m.decode(0x2FFFFFFF, 1).has_value());
}

TEST(AddressMap, RejectsOverlapsAndEmptyRegions) {
  AddressMap m;
  m.add("a", 0x1000, 0x1000, 0);
  EXPECT_THROW(m.add("b", 0x1800, 0x1000, 1), std::invalid_argument);
  EXPECT_THROW(m.add("c", 0x0, 0x1001, 1), std::invalid_argument);
  EXPECT_THROW(m.add("d", 0x5000, 0, 1), std::invalid_argument);
  EXPECT_THROW(m.add("e", ~0ull - 10, 100, 1), std::invalid_argument);
  m.add("f", 0x2000, 0x10, 1);  // adjacent is fine
  EXPECT_EQ(m.decode(0x2000, 16)->name, "f");
  try {
    m.add("g", 0x1FF0, 0x20, 2);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "region g [0x1ff0, 0x2010) overlaps a [0x1000, 0x2000)");
  }
}
