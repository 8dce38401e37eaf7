//! Whole numbers in JSON as JSON Schema reads them: `2.0` is the integer 2 (an API client or
//! generator may write it so), while `2.5`, `-1` for a count, or a number out of range is not one.
//! serde alone refuses `2.0` for an integer field, which would refuse a body the API document
//! allows.

use serde::de::{Deserializer, Error, Visitor};

/// One whole number that fits `T`.
struct Whole<T>(std::marker::PhantomData<T>);

impl<T: TryFrom<i128>> Visitor<'_> for Whole<T> {
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a whole number in range")
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<T, E> {
        T::try_from(v as i128).map_err(|_| E::custom(format!("{v} is out of range")))
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<T, E> {
        T::try_from(v as i128).map_err(|_| E::custom(format!("{v} is out of range")))
    }

    fn visit_f64<E: Error>(self, v: f64) -> Result<T, E> {
        if v.fract() != 0.0 || !v.is_finite() || v.abs() > 1e18 {
            return Err(E::custom(format!("{v} is not a whole number in range")));
        }
        self.visit_i64(v as i64)
    }
}

/// `#[serde(deserialize_with = "crate::numbers::whole")]`: a whole number (`2` or `2.0`).
pub fn whole<'de, D: Deserializer<'de>, T: TryFrom<i128>>(d: D) -> Result<T, D::Error> {
    d.deserialize_any(Whole(std::marker::PhantomData))
}

/// An optional whole number: absent or `null` is `None`. Pair it with `#[serde(default)]`.
pub fn maybe_whole<'de, D: Deserializer<'de>, T: TryFrom<i128>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    struct Maybe<T>(Option<T>);
    impl<'de, T: TryFrom<i128>> serde::Deserialize<'de> for Maybe<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            whole(d).map(|v| Maybe(Some(v)))
        }
    }
    let v: Option<Maybe<T>> = serde::Deserialize::deserialize(d)?;
    Ok(v.and_then(|m| m.0))
}

/// A list of whole numbers, each as [`whole`].
pub fn wholes<'de, D: Deserializer<'de>, T: TryFrom<i128>>(d: D) -> Result<Vec<T>, D::Error> {
    struct Each<T>(T);
    impl<'de, T: TryFrom<i128>> serde::Deserialize<'de> for Each<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            whole(d).map(Each)
        }
    }
    let all: Vec<Each<T>> = serde::Deserialize::deserialize(d)?;
    Ok(all.into_iter().map(|e| e.0).collect())
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize, Debug)]
    struct Rated {
        #[serde(deserialize_with = "super::whole")]
        rating: i32,
        #[serde(deserialize_with = "super::wholes")]
        choices: Vec<usize>,
    }

    fn read(json: &str) -> Result<(i32, Vec<usize>), String> {
        serde_json::from_str::<Rated>(json)
            .map(|r| (r.rating, r.choices))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_whole_number_may_be_written_with_a_zero_fraction() {
        assert_eq!(
            read(r#"{"rating": 2, "choices": [0, 3]}"#),
            Ok((2, vec![0, 3]))
        );
        assert_eq!(
            read(r#"{"rating": 2.0, "choices": [45.0]}"#),
            Ok((2, vec![45]))
        );
        assert_eq!(read(r#"{"rating": -2, "choices": []}"#), Ok((-2, vec![])));
        // read exactly (serde_json's `float_roundtrip`): not one unit in the last place off
        assert_eq!(
            read(r#"{"rating": 2, "choices": [3696768108330302.0]}"#),
            Ok((2, vec![3_696_768_108_330_302]))
        );
        for bad in [
            r#"{"rating": 2.5, "choices": []}"#,
            r#"{"rating": 1e300, "choices": []}"#,
            r#"{"rating": 3000000000, "choices": []}"#,
            r#"{"rating": "2", "choices": []}"#,
            r#"{"rating": 2, "choices": [-1]}"#,
            r#"{"rating": 2, "choices": [1.5]}"#,
            r#"{"rating": 2, "choices": 3}"#,
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }
}
