//! survey: a surveyor asks every respondent a question and collects answers
//! until the survey deadline passes.
//!
//! Run: `cargo run --example survey`

use nng::options::{RecvTimeout, SurveyTime};
use nng::{Error, Protocol, Socket};
use std::time::Duration;

fn main() -> Result<(), Error> {
    let surveyor = Socket::new(Protocol::Surveyor0)?;
    surveyor.set_opt::<SurveyTime>(Some(Duration::from_millis(500)))?;

    let names = ["alpha", "beta", "gamma"];
    let respondents = names
        .iter()
        .map(|name| {
            let url = format!("inproc://survey-example-{name}");
            let r = Socket::new(Protocol::Respondent0)?;
            r.set_opt::<RecvTimeout>(Some(Duration::from_secs(5)))?;
            r.listen(&url)?;
            surveyor.dial(&url)?; // returns once connected
            Ok(r)
        })
        .collect::<Result<Vec<_>, Error>>()?;

    std::thread::scope(|s| {
        for (name, r) in names.into_iter().zip(respondents) {
            s.spawn(move || -> Result<(), Error> {
                let mut question = r.recv()?;
                question.clear();
                question.push_back(format!("{name} is here").as_bytes());
                r.send(question)?;
                Ok(())
            });
        }
        println!("surveyor: who is there?");
        surveyor.send(b"who is there?")?;
        loop {
            match surveyor.recv() {
                Ok(answer) => println!("surveyor heard: {}", String::from_utf8_lossy(&answer)),
                Err(Error::TimedOut) => {
                    println!("surveyor: deadline passed, survey closed");
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    })
}
