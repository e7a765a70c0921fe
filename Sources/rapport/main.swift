import Foundation
import RapportShell

exit(Rapport.main(Array(CommandLine.arguments.dropFirst())))
