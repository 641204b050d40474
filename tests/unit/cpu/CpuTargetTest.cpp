// chooseMatmulTiles / chooseVectorLanes: the BLIS-style rules on known machines.
#include "backends/cpu/Transforms/CpuTarget.h"

#include <gtest/gtest.h>

using namespace vibee;

namespace {

CpuTarget avx512Host() { // this project's 2-core bench machine
  CpuTarget t;
  t.vectorBits = 512;
  t.l1dBytes = 48 * 1024;
  t.l2Bytes = 2 * 1024 * 1024;
  t.l3Bytes = 504ll * 1024 * 1024;
  t.cores = 2;
  return t;
}

CpuTarget avx2Desktop() {
  CpuTarget t;
  t.vectorBits = 256;
  t.l1dBytes = 32 * 1024;
  t.l2Bytes = 512 * 1024;
  t.l3Bytes = 32 * 1024 * 1024;
  t.cores = 8;
  return t;
}

void expectInvariants(const MatmulTiles &t) {
  EXPECT_GT(t.mr, 0);
  EXPECT_GT(t.nr, 0);
  EXPECT_EQ(t.nc % t.nr, 0) << "nc " << t.nc << " nr " << t.nr;
  EXPECT_EQ(t.mc % t.mr, 0) << "mc " << t.mc << " mr " << t.mr;
  EXPECT_GE(t.kc, 8);
}

TEST(ChooseMatmulTiles, Avx512DynamicSizes) {
  MatmulTiles t = chooseMatmulTiles(avx512Host());
  expectInvariants(t);
  EXPECT_EQ(t.nr, 32); // two zmm registers of f32
  EXPECT_EQ(t.mr, 8);  // 16 accumulators of 32 registers
  // (8 + 32) x kc x 4 B <= 48 KiB -> kc <= 307 -> 256.
  EXPECT_EQ(t.kc, 256);
  EXPECT_LE((t.mr + t.nr) * t.kc * 4, 48 * 1024);
  // A block: a quarter of half of L2 = 256 KiB = 256 rows of 256 floats.
  EXPECT_EQ(t.mc, 256);
  // N assumed 1024 over 2 cores: panels of 512 (L3 is far larger).
  EXPECT_EQ(t.nc, 512);
}

TEST(ChooseMatmulTiles, Avx2) {
  MatmulTiles t = chooseMatmulTiles(avx2Desktop());
  expectInvariants(t);
  EXPECT_EQ(t.nr, 16);
  EXPECT_EQ(t.mr, 4);
  EXPECT_LE((t.mr + t.nr) * t.kc * 4, 32 * 1024);
  EXPECT_EQ(t.kc, 256); // 32 KiB / 80 B = 409 -> 256
  EXPECT_LE(t.mc * t.kc * 4, 512 * 1024 / 2);
  EXPECT_EQ(t.nc, 128); // 1024 / 8 cores
}

TEST(ChooseMatmulTiles, PortableBaseline) {
  CpuTarget t = portableCpu();
  EXPECT_EQ(t.vectorBits, 128u);
  // A portable object assumes no AVX-512 packed dot products.
  EXPECT_FALSE(t.bf16Dot);
  EXPECT_FALSE(t.vnni);

  MatmulTiles tiles = chooseMatmulTiles(t);
  expectInvariants(tiles);
  EXPECT_EQ(tiles.nr, 8);
  EXPECT_LE((tiles.mr + tiles.nr) * tiles.kc * 4, t.l1dBytes);
}

TEST(ChooseMatmulTiles, StaticSizesClampAndBalance) {
  // Small static problem: no tile larger than the dimension needs.
  MatmulTiles small = chooseMatmulTiles(avx512Host(), {64, 64, 48});
  expectInvariants(small);
  EXPECT_EQ(small.kc, 48);
  EXPECT_EQ(small.mc, 64);
  EXPECT_EQ(small.nc, 32); // 64 over 2 cores
  // K = 520 in at most 256: three equal blocks of 176 (not 256 + 256 + 8).
  MatmulTiles odd = chooseMatmulTiles(avx512Host(), {1024, 2048, 520});
  expectInvariants(odd);
  EXPECT_EQ(odd.kc, 176);
  EXPECT_EQ(odd.nc, 1024); // 2048 over 2 cores: one panel per core
}

TEST(ChooseMatmulTiles, TinyCachesStayValid) {
  CpuTarget t;
  t.vectorBits = 512;
  t.l1dBytes = 0; // undetected
  t.l2Bytes = 0;
  t.l3Bytes = 0;
  t.cores = 64;
  expectInvariants(chooseMatmulTiles(t));
  expectInvariants(chooseMatmulTiles(t, {8, 32, 1}));
}

TEST(ChooseVectorLanes, RegisterWidthOverElementWidth) {
  EXPECT_EQ(chooseVectorLanes(512, 32), 16);
  EXPECT_EQ(chooseVectorLanes(256, 32), 8);
  EXPECT_EQ(chooseVectorLanes(128, 32), 4);
  EXPECT_EQ(chooseVectorLanes(512, 64), 8);
  EXPECT_EQ(chooseVectorLanes(128, 64), 2);
}

TEST(ChooseVectorTile, OneRegisterElementwiseTwoForReductions) {
  EXPECT_EQ(chooseVectorTile(512, 32, false), 16);
  EXPECT_EQ(chooseVectorTile(512, 32, true), 32);
  EXPECT_EQ(chooseVectorTile(256, 32, false), 8);
  EXPECT_EQ(chooseVectorTile(128, 32, true), 8);
  EXPECT_EQ(chooseVectorTile(512, 64, true), 16);
}

TEST(DetectHostCpu, PlausibleValues) {
  const CpuTarget &host = detectHostCpu();
  EXPECT_TRUE(host.vectorBits == 128 || host.vectorBits == 256 || host.vectorBits == 512);

  EXPECT_GE(host.l1dBytes, 4 * 1024);
  EXPECT_GE(host.l2Bytes, host.l1dBytes);
  EXPECT_GE(host.cores, 1u);
  // The packed dot-product kernels run on 512-bit vectors only.
  if (host.bf16Dot || host.vnni)
    EXPECT_EQ(host.vectorBits, 512u);
}

} // namespace
