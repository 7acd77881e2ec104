package auth

// Test helpers shared with package auth_test.
var (
	AssertNoSecret    = assertNoSecret
	AssertErrNoSecret = assertErrNoSecret
	HasText           = hasText
	IsErr             = isErr
	EqualSecret       = equalSecret
)

// MaxIAMBody is the limit on IAM response bodies.
const MaxIAMBody = maxIAMBody
