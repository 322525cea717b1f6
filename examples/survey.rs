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
    surveyor.listen("inproc://survey-example")?;

    std::thread::scope(|s| {
        for name in ["alpha", "beta", "gamma"] {
            s.spawn(move || -> Result<(), Error> {
                let r = Socket::new(Protocol::Respondent0)?;
                r.set_opt::<RecvTimeout>(Some(Duration::from_secs(5)))?;
                r.dial("inproc://survey-example")?;
                let mut question = r.recv()?;
                question.clear();
                question.push_back(format!("{name} is here").as_bytes());
                r.send_msg(question)?;
                Ok(())
            });
        }
        std::thread::sleep(Duration::from_millis(100)); // respondents connect
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
