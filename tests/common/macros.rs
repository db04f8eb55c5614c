//! [`lab_test!`](crate::lab_test): the prologue every namespace-lab test shares, written once.
//!
//! A lab test builds its lab with a setup function that takes the test's name first ([`super::Lab::new`],
//! [`super::Lab::with`], [`super::two_hosts`], or a file's own `lan(test, …)`) and returns `None` when
//! the lab cannot be built — having printed `SKIP <test>: <reason>` (not root, a program missing), or
//! failed the test with that reason under `MCREADY_REQUIRE_NETNS=1`. The macro names the test once, so
//! the name in the skip line is always the test's own.

/// Defines a `#[test]` that builds its lab, then runs `body` with it; when the lab cannot be built the
/// test returns early (the setup printed why, or failed under `MCREADY_REQUIRE_NETNS=1`).
///
/// The setup is called with the test's name as its first argument, before the ones written:
///
/// ```ignore
/// lab_test!(nft_drop_of_the_port_is_found, Lab::with(&[NFT]), |mut lab| {
///     let pbx = lab.host("pbx");
///     // …
/// });
/// ```
///
/// is `#[test] fn nft_drop_of_the_port_is_found()` whose first line is
/// `let Some(mut lab) = Lab::with("nft_drop_of_the_port_is_found", &[NFT]) else { return };`.
#[macro_export]
macro_rules! lab_test {
    ($name:ident, $($setup:ident)::+ ($($arg:expr),* $(,)?), |$lab:pat_param| $body:block) => {
        #[test]
        fn $name() {
            let Some($lab) = $($setup)::+(stringify!($name) $(, $arg)*) else { return };
            $body
        }
    };
}
