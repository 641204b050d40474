// backends/cpu/Bf16Truncation: the __truncsfbf2 a module gets when it has bf16
// values, run through ORC's JIT: round to nearest even, overflow to infinity, NaN
// kept a quiet NaN. Expected codes worked out by hand from the bits.
#include "backends/cpu/Bf16Truncation.h"

#include "llvm/AsmParser/Parser.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>

namespace {

// The bf16 code of __truncsfbf2(x), through a caller that returns its bits.
constexpr const char *kCaller = R"(
declare bfloat @__truncsfbf2(float)
define i16 @truncate(float %x) {
  %b = call bfloat @__truncsfbf2(float %x)
  %i = bitcast bfloat %b to i16
  ret i16 %i
}
)";

std::unique_ptr<llvm::Module> parse(const char *text, llvm::LLVMContext &ctx) {
  llvm::SMDiagnostic error;
  return llvm::parseAssemblyString(text, error, ctx);
}

class Bf16Truncation : public ::testing::Test {
protected:
  void SetUp() override {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    auto ctx = std::make_unique<llvm::LLVMContext>();
    std::unique_ptr<llvm::Module> module = parse(kCaller, *ctx);
    ASSERT_TRUE(module);
    vibee::defineBf16Truncation(*module);
    ASSERT_FALSE(module->getFunction("__truncsfbf2")->isDeclaration());
    auto jit = llvm::orc::LLJITBuilder().create();
    ASSERT_TRUE(static_cast<bool>(jit)) << llvm::toString(jit.takeError());
    jit_ = std::move(*jit);
    ASSERT_FALSE(static_cast<bool>(
        jit_->addIRModule(llvm::orc::ThreadSafeModule(std::move(module), std::move(ctx)))));
    auto symbol = jit_->lookup("truncate");
    ASSERT_TRUE(static_cast<bool>(symbol)) << llvm::toString(symbol.takeError());
    truncate_ = symbol->toPtr<uint16_t (*)(float)>();
  }

  uint16_t truncate(uint32_t bits) const {
    float x;
    std::memcpy(&x, &bits, sizeof x);
    return truncate_(x);
  }

  std::unique_ptr<llvm::orc::LLJIT> jit_;
  uint16_t (*truncate_)(float) = nullptr;
};

TEST_F(Bf16Truncation, RoundsToNearestEven) {
  EXPECT_EQ(truncate(0x3f800000u), 0x3f80u); // 1.0, exact
  EXPECT_EQ(truncate(0x3f808000u), 0x3f80u); // tie, even below: down
  EXPECT_EQ(truncate(0x3f818000u), 0x3f82u); // tie, odd below: up
  EXPECT_EQ(truncate(0x3f808001u), 0x3f81u); // above the tie
  EXPECT_EQ(truncate(0x3f807fffu), 0x3f80u); // below the tie
  EXPECT_EQ(truncate(0xbf818000u), 0xbf82u); // negative tie
  EXPECT_EQ(truncate(0x00000001u), 0x0000u); // smallest subnormal
  EXPECT_EQ(truncate(0x80000000u), 0x8000u); // -0
}

TEST_F(Bf16Truncation, OverflowAndSpecials) {
  EXPECT_EQ(truncate(0x7f7fffffu), 0x7f80u); // f32 max rounds to infinity
  EXPECT_EQ(truncate(0x7f800000u), 0x7f80u); // infinity
  EXPECT_EQ(truncate(0xff800000u), 0xff80u); // -infinity
  EXPECT_EQ(truncate(0x7fc00000u), 0x7fc0u); // quiet NaN
  EXPECT_EQ(truncate(0x7f800001u), 0x7fc0u); // signalling NaN, payload below bf16: stays NaN
  EXPECT_EQ(truncate(0xffffffffu), 0xffffu); // NaN with every payload bit
}

// Whether the module of `ir` gets a definition of __truncsfbf2.
bool definesTruncation(const char *ir) {
  llvm::LLVMContext ctx;
  std::unique_ptr<llvm::Module> module = parse(ir, ctx);
  EXPECT_TRUE(module);
  vibee::defineBf16Truncation(*module);
  llvm::Function *f = module->getFunction("__truncsfbf2");
  return f && !f->isDeclaration();
}

// A select between bf16 values (what x86's code generation calls it for) gets the
// definition; bf16 loads and stores alone do not.
TEST(Bf16TruncationModule, OnlyWhereCodeGenerationMayCallIt) {
  EXPECT_TRUE(definesTruncation("define bfloat @pick(i1 %c, bfloat %a, bfloat %b) {\n"
                                "  %r = select i1 %c, bfloat %a, bfloat %b\n  ret bfloat %r\n}\n"));
  EXPECT_FALSE(definesTruncation("define void @copy(ptr %p, ptr %q) {\n  %v = load bfloat, ptr %p\n"
                                 "  store bfloat %v, ptr %q\n  ret void\n}\n"));
}

} // namespace
